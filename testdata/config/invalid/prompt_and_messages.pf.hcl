model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Hello" # ERROR: Conflicting prompt and messages
  message {
    role    = "user"
    content = "Hello"
  }
}
