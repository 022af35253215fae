model "fast" {
  id    = "claude-haiku-4-5-20251001"
  price = { input = 1e400, output = 5 } # ERROR: Invalid price
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
