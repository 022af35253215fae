# A command-backed tool: when the model calls lookup, promptform runs
# tools/lookup.sh with the call's arguments as JSON on stdin and gives its
# output back to the model, until the model answers.
#
#   promptform apply -auto-approve -offline

tool "lookup" {
  description = "Look a term up in the project glossary."
  type = object({
    term = string
  })
  command = ["sh", "tools/lookup.sh"] # run in this directory, without a shell around it
  timeout = "10s"
  env     = { GLOSSARY = "glossary.txt" } # with PATH, HOME and LANG, all it sees
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  temperature = 0
}

step "explain" {
  model       = model.fast
  prompt      = "What does 'plan' mean in promptform? Look it up in the glossary first."
  tools       = [tool.lookup]
  tool_choice = tool.lookup # the first answer must call it
}

output "answer" {
  value = step.explain.output
}
