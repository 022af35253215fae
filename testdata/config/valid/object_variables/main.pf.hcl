variable "persona" {
  type = object({
    name  = string
    tone  = string
    rules = optional(list(string))
  })
  default = {
    name = "Ada"
    tone = "dry"
  }
  description = "Who speaks."
}

variable "limits" {
  type = map(number)
  default = {
    max_tokens = 200
  }
}

variable "topic" {
  type      = string
  sensitive = true

  validation {
    condition     = length(var.topic) > 2 && !strcontains(var.topic, "!")
    error_message = "topic must be longer than two characters, without exclamation marks"
  }
}

model "fast" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = var.limits.max_tokens
}

step "speak" {
  model  = model.fast
  system = "You are ${var.persona.name}; your tone is ${var.persona.tone}."
  prompt = "Talk about ${var.topic}. Rules: ${var.persona.rules == null ? "none" : join(", ", var.persona.rules)}."
}
