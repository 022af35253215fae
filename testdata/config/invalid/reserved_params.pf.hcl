model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  params = { temperature = 1, model_region = "global" } # ERROR: Reserved request field in params
  prompt = "Hello"
}
