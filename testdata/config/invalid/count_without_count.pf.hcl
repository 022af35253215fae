model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model    = model.fast
  for_each = toset(["x"])
  prompt   = "Sample ${count.index}" # ERROR: Reference to "count" in context without count
}
