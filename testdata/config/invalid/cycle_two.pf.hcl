model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Answer: ${step.b.output}"
}

step "b" {
  model  = model.fast
  prompt = "Question: ${step.a.output}" # ERROR: Dependency cycle
}
