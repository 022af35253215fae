# A small article pipeline: one outline fans out to an introduction and
# examples, and a last step joins them. Try it without a key or network:
#
#   promptform apply -auto-approve -offline

variable "topic" {
  type        = string
  default     = "HCL"
  description = "What the article is about."

  validation {
    condition     = length(trimspace(var.topic)) > 0
    error_message = "The topic must not be empty."
  }
}

locals {
  audience = "platform engineers"
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  max_tokens  = 400
  temperature = 0
}

model "smart" {
  id         = "claude-sonnet-4-6"
  max_tokens = 800
}

step "outline" {
  model  = model.smart
  system = "You write for ${local.audience}."
  prompt = "Write a five-point outline of a short article about ${var.topic}."
}

step "intro" {
  model  = model.fast
  prompt = "Write a two-sentence introduction for this outline:\n${step.outline.output}"
}

step "examples" {
  model = model.fast
  message {
    role    = "system"
    content = "You answer with code only."
  }
  message {
    role    = "user"
    content = "Give two short ${var.topic} examples that fit this outline:\n${step.outline.output}"
  }
}

step "article" {
  model  = model.smart
  prompt = <<-EOT
    Join these into one article for ${local.audience}.

    Introduction:
    ${step.intro.output}

    Examples:
    ${step.examples.output}
  EOT
}

output "article" {
  value = step.article.output
}

output "total_tokens" {
  value = sum([for s in [step.outline, step.intro, step.examples, step.article] : s.usage.total_tokens])
}
