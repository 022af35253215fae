model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "chat" {
  model = model.fast
  message {
    role    = "system"
    content = "You answer in one word."
  }
  message {
    role    = "user"
    content = "Capital of France?"
  }
  message {
    role    = "assistant"
    content = "Paris"
  }
  message {
    role    = "user"
    content = "And of Italy?"
  }
}

step "check" {
  model = model.fast
  message {
    role    = "user"
    content = "Is ${step.chat.output} correct?"
  }
}
