# A mock that calls the lookup tool: the tool's command runs for real
# (tools/lookup.sh reads glossary.txt), and the mock's second answer fits
# only when the tool returned the glossary entry.
#
#   promptform test

mock_model "fast" {
  answer {
    step       = step.explain
    tool_calls = [{ name = "lookup", arguments = { term = "plan" } }]
  }
  answer {
    match = "the requests a pipeline would send"
    text  = "In promptform, plan shows the requests a pipeline would send, without calling a model."
  }
}

run "answers_from_the_glossary" {
  assert {
    condition     = strcontains(output.answer, "without calling a model")
    error_message = "The answer does not come from the glossary entry: ${output.answer}"
  }
}
