locals {
  cases    = { for row in csvdecode(file("data/cases.csv")) : row.id => row }
  examples = jsonldecode(file("data/examples.jsonl"))
  settings = jsondecode(file("data/settings.json"))
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "grade" {
  for_each   = local.cases
  model      = model.fast
  max_tokens = local.settings.max_tokens
  prompt = templatefile("templates/grade.tmpl", {
    question = each.value.question
    examples = local.examples
  })
}

step "summary" {
  model  = model.fast
  prompt = "There are ${length(local.cases)} cases, ${sum([for e in local.examples : e.score])} points; first is ${tostring(one([for k, c in local.cases : c.id if k == "1"]))}."
}
