variable "languages" {
  type    = set(string)
  default = ["go", "rust"]
}

locals {
  tones = {
    formal = "Write formally."
    casual = "Write casually."
  }
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "greeting" {
  for_each = local.tones
  model    = model.fast
  system   = each.value
  prompt   = "Greet the reader (${each.key})."
}

step "snippet" {
  for_each = var.languages
  model    = model.fast
  prompt   = "Write hello world in ${each.key}; ${each.value} only."
}

step "compare" {
  model  = model.fast
  prompt = "Compare:\n${step.greeting["formal"].output}\n${step.greeting["casual"].output}\n${step.snippet["go"].output}"
}

output "greetings" {
  value = { for k, g in step.greeting : k => g.output }
}
