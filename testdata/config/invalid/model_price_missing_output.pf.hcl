model "fast" {
  id    = "claude-haiku-4-5-20251001"
  price = { input = 1 } # ERROR: Incorrect attribute value type
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
