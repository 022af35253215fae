model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Hello ${each.key}" # ERROR: Reference to "each" in context without for_each
}

step "b" {
  model  = model.fast
  count  = 0
  prompt = "Hello ${count.index} ${each.value}" # ERROR: Reference to "each" in context without for_each
}
