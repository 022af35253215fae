variable "topic" {
  type    = string
  default = "HCL"
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  max_tokens  = 400
  temperature = 0
}

model "smart" {
  id     = "claude-sonnet-4-6"
  stream = false
}

step "outline" {
  model  = model.smart
  system = "You write for engineers."
  prompt = "Outline an article about ${var.topic}."
}

step "intro" {
  model  = model.fast
  prompt = "Introduce:\n${step.outline.output}"
}

step "examples" {
  model       = model.fast
  temperature = 0.7
  max_tokens  = 800
  stream      = false
  prompt      = "Give examples for:\n${step.outline.output}"
}

step "review" {
  model      = model.smart
  prompt     = "Check the outline of ${var.topic} for gaps."
  depends_on = [step.outline]
}

step "article" {
  model  = model.smart
  prompt = <<-EOT
    Join these into one article.

    ${step.intro.output}

    ${step.examples.output}
  EOT
  depends_on = [step.review]
}

output "article" {
  value = step.article.output
}

output "tokens" {
  value = step.intro.usage.total_tokens + step.examples.usage.total_tokens
}
