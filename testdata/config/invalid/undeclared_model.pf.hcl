model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fats # ERROR: Reference to undeclared model
  prompt = "Hello"
}
