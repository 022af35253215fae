gateway "local" {
  url = "http://localhost:8080/v1"
}

model "fast" {
  id      = "llama3"
  gateway = gateway.locl # ERROR: Reference to undeclared gateway
}

step "a" {
  model  = model.fast
  prompt = "Hello"
}
