model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  system = "Be brief." # ERROR: Conflicting system and messages
  message {
    role    = "user"
    content = "Hello"
  }
}
