# Tests of the extraction pipeline with a mock model: no model is called.
#
#   promptform test
#
# The mock answers the extract step with a ticket, and the reply step only
# when its prompt carries that ticket's severity and title: a template
# that stops passing them on gets no answer, and the asserts say so.

mock_model "fast" {
  answer {
    step = step.extract
    json = { title = "CSV exports time out", severity = "high", tags = ["exports", "timeout"] }
  }
  answer {
    step  = step.reply
    match = "high-severity ticket titled 'CSV exports time out'"
    text  = "Sorry: CSV exports are timing out since 9:00.\nWe are on it and will write again within the hour."
  }
  default = "(the mock has no answer for this prompt)"
}

run "extracts_the_ticket" {
  assert {
    condition     = step.extract.result.severity == "high"
    error_message = "The ticket's severity is ${step.extract.result.severity}, not high."
  }
  assert {
    condition     = output.ticket.title == "CSV exports time out"
    error_message = "The ticket output does not carry the extracted title."
  }
}

run "reply_uses_the_ticket" {
  assert {
    condition     = startswith(step.reply.output, "Sorry: CSV exports")
    error_message = "The reply step's prompt does not carry the ticket's severity and title: the mock did not recognise it."
  }
  assert {
    condition     = length(split("\n", output.reply)) == 2
    error_message = "The reply is not two lines."
  }
}

# Runs share the file's state: a plan after the first runs sees the ticket
# they recorded, and calls nothing.
run "plan_sees_the_recorded_ticket" {
  command = plan
  steps   = [step.extract]
  assert {
    condition     = step.extract.result.tags == tolist(["exports", "timeout"])
    error_message = "The plan does not see the ticket the earlier runs recorded."
  }
}

# An empty reply fails the reply step's postcondition: the run passes
# because it expects that failure.
run "empty_reply_fails_its_postcondition" {
  mock_model "fast" {
    answer {
      step = step.extract
      json = { title = "CSV exports time out", severity = "high", tags = ["exports"] }
    }
    answer {
      step = step.reply
      text = ""
    }
  }
  expect_failures = [step.reply]
}
