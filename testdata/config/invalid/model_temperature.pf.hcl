model "fast" {
  id          = "claude-haiku-4-5-20251001"
  temperature = 2.5 # ERROR: Invalid temperature
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
