model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model    = model.fast
  count    = 2
  for_each = toset(["x", "y"]) # ERROR: Invalid combination of count and for_each
  prompt   = "Hello"
}
