# Fallback chains. In gateway mode one request carries fallbacks[] and the
# gateway moves on when a model fails; in client mode promptform tries each
# model itself, and records every attempt. step.NAME.model says which model
# answered.
#
#   promptform apply -auto-approve -offline

model "primary" {
  id         = "gpt-5-mini"
  max_tokens = 800
}

model "backup" {
  id          = "claude-sonnet-4-6"
  temperature = 0.2
}

model "last" {
  id = "gemini-2.5-flash"
}

fallback "resilient" {
  models = [model.primary, model.backup, model.last]
  retry  = false # the gateway's own retry: off, the chain takes over at once
  depth  = 2
}

fallback "careful" {
  models = [model.backup, model.last]
  mode   = "client"
}

step "summary" {
  model  = fallback.resilient
  prompt = "Summarise why fallback chains matter, in one paragraph."
}

step "title" {
  model  = fallback.careful
  prompt = "Give a five-word title for: ${step.summary.output}"
}

output "title" {
  value = step.title.output
}

output "answered_by" {
  value = { summary = step.summary.model, title = step.title.model }
}
