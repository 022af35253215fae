model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Which model are you? ${model.fast}" # ERROR: Invalid template interpolation value
}
