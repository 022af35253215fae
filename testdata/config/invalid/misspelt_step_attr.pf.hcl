model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}

step "b" {
  model  = model.fast
  prompt = "Shorten: ${step.a.outptu}" # ERROR: Unsupported attribute
}
