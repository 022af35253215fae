model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Improve: ${step.a.output}" # ERROR: Self-referential step
}
