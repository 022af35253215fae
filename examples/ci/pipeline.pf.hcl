# Release notes from a list of changes: a Markdown draft, then a one-line
# announcement written from the draft. Edit changes.txt in a pull request:
# the workflow in github-workflow.yml posts the plan as a comment, and
# merging applies it. The state and the answers live in PostgreSQL (the pg
# backend), so every CI runner sees the same record. Try it without a key
# or network:
#
#   export PG_CONN_STR="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
#   promptform apply -auto-approve -offline

promptform {
  backend "pg" {
    schema_name = "release_notes" # conn_str comes from PG_CONN_STR, never from this file
  }
}

variable "product" {
  type        = string
  default     = "Acme Sync"
  description = "The product being released."
}

variable "version" {
  type        = string
  default     = "2.4.0"
  description = "The version being released."

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.version))
    error_message = "The version must look like 1.2.3."
  }
}

locals {
  changes = trimspace(file("changes.txt"))
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  max_tokens  = 200
  temperature = 0
}

model "smart" {
  id         = "claude-sonnet-4-6"
  max_tokens = 1500
}

step "draft" {
  model  = model.smart
  system = "You write release notes for the users of ${var.product}: plain words, no marketing."
  prompt = <<-EOT
    Write the release notes for ${var.product} ${var.version} in Markdown: a heading with the
    version, then sections for new features, changes and fixes, leaving out empty ones.
    Keep every fact from the changes and add none.

    Changes:
    ${local.changes}
  EOT

  postcondition { # fails the step and the run; the next plan asks again
    condition     = strcontains(self.output, var.version)
    error_message = "The release notes do not name version ${var.version}."
  }
}

step "tweet" {
  model  = model.fast
  prompt = "Announce ${var.product} ${var.version} in one line of at most 280 characters, from these release notes. Answer with the line only.\n\n${step.draft.output}"
}

check "tweet" { # a warning only: the run goes on
  assert {
    condition     = length(trimspace(step.tweet.output)) <= 280
    error_message = "The announcement is longer than 280 characters."
  }
  assert {
    condition     = !strcontains(trimspace(step.tweet.output), "\n")
    error_message = "The announcement is more than one line."
  }
}

output "notes" {
  value = step.draft.output
}

output "tweet" {
  value = trimspace(step.tweet.output)
}
