model "fast" {
  id     = "claude-haiku-4-5-20251001"
  params = { model_region = "global" }
}
