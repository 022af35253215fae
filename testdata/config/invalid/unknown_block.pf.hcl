model "fast" {
  id = "claude-haiku-4-5-20251001"
}

pipeline "main" { # ERROR: Unsupported block type
  steps = []
}
