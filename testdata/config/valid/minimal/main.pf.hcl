model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "hello" {
  model  = model.fast
  prompt = "Say hello."
}
