gateway {
  region  = "ap" # ERROR: Invalid gateway region
  auth    = "basic" # ERROR: Invalid gateway auth
  timeout = "soon" # ERROR: Invalid duration
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
