model "fast" {
  id    = "claude-haiku-4-5-20251001"
  top_p = 0.9 # ERROR: Unsupported argument
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
