model "fast" {
  id    = "claude-haiku-4-5-20251001"
  price = { input = 1, output = 5, cache_reads = 0.1 } # ERROR: Invalid price
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
