# An evaluation: two prompt variants × two models over a 30-row data set,
# each answer asked twice, every answer graded by a third model in a
# schema, scored with asserts and gated on pass rates.
#
#   promptform apply -auto-approve -offline
#   promptform report -out=report.html
#
# One step covers the whole matrix: its instances come from setproduct and
# each carries its own model. A failed assert is a score, not a failure:
# it is recorded and counted, and the run goes on. The outputs' preconditions
# are the gates a CI job fails on (raise min_correct_rate there).

variable "min_correct_rate" {
  type        = number
  default     = 0
  description = "The lowest share of answers the grader may call correct; CI raises it, e.g. -var min_correct_rate=0.8."
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  temperature = 0.7
}

model "smart" {
  id          = "gpt-5-mini"
  temperature = 0.7
}

model "grader" {
  id          = "claude-sonnet-4-6"
  temperature = 0
}

schema "grade" {
  description = "A grader's verdict on one answer"
  type = object({
    correct = bool
    reason  = string
  })
  strict = true
}

locals {
  samples = 2
  rows    = jsonldecode(file("questions.jsonl"))
  variants = {
    terse    = "Answer with the answer only: a word, a name or a number."
    reasoned = "Think it through in one or two sentences, then give the answer on a last line of its own."
  }

  # One case per variant, model and row, keyed "terse/fast/q01".
  cases = {
    for c in setproduct(keys(local.variants), [model.fast, model.smart], local.rows) :
    "${c[0]}/${c[1].name}/${c[2].id}" => { variant = c[0], model = c[1], row = c[2] }
  }

  # One grade per answer sample, keyed "terse/fast/q01/0" for the first
  # sample (step.answer["terse/fast/q01"]) and "terse/fast/q01/1" for the
  # second (step.answer["terse/fast/q01"]#1).
  graded = merge([
    for k, c in local.cases : {
      for i in range(local.samples) : "${k}/${i}" => merge(c, { case = k, sample = i })
    }
  ]...)

  answers = flatten([for k, s in step.answer : s.samples])
  arms    = distinct([for k, c in local.cases : "${c.variant}/${c.model.name}"])
}

step "answer" {
  for_each = local.cases
  repeat   = local.samples
  model    = each.value.model
  system   = local.variants[each.value.variant]
  prompt   = each.value.row.question

  assert "answered" {
    condition     = length(trimspace(self.output)) > 0
    error_message = "The answer is empty."
  }
  assert "mentions_answer" {
    condition     = strcontains(lower(self.output), lower(each.value.row.answer))
    error_message = "The answer does not mention \"${each.value.row.answer}\"."
  }
  assert "concise" {
    condition     = length(self.output) <= 400
    error_message = "The answer is longer than 400 characters."
  }
}

step "grade" {
  for_each = local.graded
  model    = model.grader
  schema   = schema.grade
  system   = "You grade answers to quiz questions. An answer is correct when it gives the expected answer, in any wording."
  prompt   = <<-EOT
    Question: ${each.value.row.question}
    Expected answer: ${each.value.row.answer}
    Answer to grade: ${step.answer[each.value.case].samples[each.value.sample].output}
  EOT

  assert "correct" {
    condition     = self.result.correct
    error_message = "Graded wrong: ${self.result.reason}"
  }
}

output "pass_rates" {
  description = "The share of answers that pass each assert, over every sample"
  value = {
    answered        = length([for s in local.answers : s if s.asserts.answered]) / length(local.answers)
    mentions_answer = length([for s in local.answers : s if s.asserts.mentions_answer]) / length(local.answers)
    concise         = length([for s in local.answers : s if s.asserts.concise]) / length(local.answers)
    correct         = length([for k, g in step.grade : k if g.asserts.correct]) / length(step.grade)
  }

  precondition {
    condition     = length([for s in local.answers : s if s.asserts.answered]) == length(local.answers)
    error_message = "Some answers are empty."
  }
}

output "correct_rate" {
  description = "The share of answers graded correct, per variant and model"
  value = {
    for arm in local.arms : arm => length([
      for k, c in local.graded : k if "${c.variant}/${c.model.name}" == arm && step.grade[k].asserts.correct
    ]) / (length(local.graded) / length(local.arms))
  }

  precondition {
    condition     = length([for k, g in step.grade : k if g.asserts.correct]) / length(step.grade) >= var.min_correct_rate
    error_message = "Fewer than ${var.min_correct_rate * 100}% of the answers were graded correct."
  }
}
