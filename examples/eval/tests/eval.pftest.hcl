# Tests of the evaluation's scoring and gates with mock models: the 480
# calls of a run cost nothing and take a second.
#
#   promptform test

# Every answerer says "Paris", which is right for one question in 30; the
# grader calls every answer correct.
mock_model "fast" {
  default = "Paris"
}

mock_model "smart" {
  default = "Paris"
}

mock_model "grader" {
  answer {
    step = step.grade
    json = { correct = true, reason = "It gives the expected answer." }
  }
}

run "scores_every_answer" {
  assert {
    condition     = length(step.answer) == 120 && length(step.grade) == 240
    error_message = "The matrix is not 2 variants × 2 models × 30 rows, graded twice each."
  }
  assert {
    condition     = output.pass_rates.answered == 1 && output.pass_rates.concise == 1
    error_message = "Short, non-empty answers do not pass answered and concise."
  }
  assert {
    condition     = abs(output.pass_rates.mentions_answer - 1 / 30) < 0.0001
    error_message = "mentions_answer is ${output.pass_rates.mentions_answer}, not 1 in 30: only q01's answer is Paris."
  }
  assert {
    condition     = alltrue([for arm, rate in output.correct_rate : rate == 1])
    error_message = "An arm's correct rate is not 1 although the grader says correct every time."
  }
}

# The gate: a grader that says wrong every time fails correct_rate's
# precondition once CI raises min_correct_rate.
run "gate_fails_below_the_rate" {
  variables {
    min_correct_rate = 0.8
  }
  mock_model "grader" {
    answer {
      step = step.grade
      json = { correct = false, reason = "It does not give the expected answer." }
    }
  }
  expect_failures = [output.correct_rate]
}

# Empty answers fail pass_rates' precondition, and score answered false.
run "empty_answers_fail_the_gate" {
  mock_model "fast" {
    default = ""
  }
  expect_failures = [output.pass_rates]
}
