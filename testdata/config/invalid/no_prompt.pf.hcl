model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" { # ERROR: Missing prompt
  model = model.fast
}
