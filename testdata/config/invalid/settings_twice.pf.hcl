promptform {
  budget = 1
}

promptform { # ERROR: Duplicate promptform block
  budget = 2
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
