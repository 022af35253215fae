variable "name" {
  type    = string
  default = "Ada"
}

locals {
  first    = upper(var.name)
  greeting = "Hello, ${local.first}"
  full     = "${local.greeting}! Welcome to ${local.place}."
  place    = "the workshop"
}

model "fast" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = 100
}

step "welcome" {
  model  = model.fast
  prompt = local.full
}

locals {
  summary = "Welcome said: ${step.welcome.output}"
}

output "summary" {
  value = local.summary
}
