gateway {
  region      = "eu"
  api_key_env = "PF_TEST_KEY"
  timeout     = "30s"
  max_retries = 2
}

gateway "local" {
  url  = "http://localhost:11434/v1"
  auth = "bearer"
}

model "remote" {
  id = "claude-haiku-4-5-20251001"
}

model "llama" {
  id      = "llama3.2"
  gateway = gateway.local
}

step "draft" {
  model  = model.llama
  prompt = "Draft a haiku."
}

step "polish" {
  model  = model.remote
  prompt = "Polish:\n${step.draft.output}"
}
