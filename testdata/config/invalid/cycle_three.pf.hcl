model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "One: ${step.b.output}"
}

step "b" {
  model      = model.fast
  prompt     = "Two"
  depends_on = [step.c]
}

step "c" {
  model  = model.fast
  prompt = "Three: ${step.a.output}" # ERROR: Dependency cycle
}
