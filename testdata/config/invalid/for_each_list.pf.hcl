model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model    = model.fast
  for_each = ["x", "y"] # ERROR: Invalid for_each argument
  prompt   = "Hello ${each.key}"
}
