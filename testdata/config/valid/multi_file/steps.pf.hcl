step "ask" {
  model  = model.fast
  prompt = "Ask a question about ${local.subject}."
  params = { reasoning = { effort = "low" } }
}
