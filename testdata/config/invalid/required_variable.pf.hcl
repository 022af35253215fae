variable "topic" { # ERROR: No value for required variable
  type = string
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Write about ${var.topic}."
}
