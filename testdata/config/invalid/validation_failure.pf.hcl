variable "topic" {
  type    = string
  default = ""

  validation {
    condition     = length(var.topic) > 0 # ERROR: Invalid value for variable
    error_message = "topic must not be empty"
  }
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Write about ${var.topic}."
}
