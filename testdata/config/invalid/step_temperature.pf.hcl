model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model       = model.fast
  temperature = -1 # ERROR: Invalid temperature
  prompt      = "Hello"
}
