variable "topic" {
  default = "HCL"
}

locals {
  audience = "engineers"
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  system = "You write for ${local.audeince}." # ERROR: Reference to undeclared local value
  prompt = "Write about ${var.topci}." # ERROR: Reference to undeclared input variable
}

step "b" {
  model  = model.fast
  prompt = "Shorten: ${step.outline.output}" # ERROR: Reference to undeclared step
}
