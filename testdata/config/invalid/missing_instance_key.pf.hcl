model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  for_each = { x = "one", y = "two" }
  model    = model.fast
  prompt   = "Hello ${each.value}"
}

step "b" {
  model  = model.fast
  prompt = "Shorten: ${step.a.output}" # ERROR: Missing step instance key
}
