model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "first"
}

step "a" { # ERROR: Duplicate step
  model  = model.fast
  prompt = "second"
}
