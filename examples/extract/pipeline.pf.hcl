# Structured extraction: the first step answers in a schema, and the next
# uses its fields by name. A misspelt field (step.extract.result.titel) is an
# error at plan time, before any token is spent.
#
#   promptform apply -auto-approve -offline

schema "ticket" {
  description = "A support ticket taken from an email"
  type = object({
    title    = string
    severity = string
    tags     = list(string)
    customer = optional(string)
  })
  strict = true
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  temperature = 0
}

step "extract" {
  model          = model.fast
  system         = "Extract a support ticket from the email. Severity is low, medium or high."
  prompt         = file("email.txt")
  schema         = schema.ticket
  output_retries = 2 # ask again, with the validation errors, when an answer does not fit
}

step "reply" {
  model  = model.fast
  prompt = "Write a two-line reply to a ${step.extract.result.severity}-severity ticket titled '${step.extract.result.title}'."

  postcondition {
    condition     = length(self.output) > 0
    error_message = "The reply is empty."
  }
}

check "triaged" { # a warning only: the run goes on
  assert {
    condition     = length(step.extract.result.tags) <= 5
    error_message = "The ticket has more than five tags."
  }
}

output "ticket" {
  value = step.extract.result
}

output "reply" {
  value = step.reply.output
}
