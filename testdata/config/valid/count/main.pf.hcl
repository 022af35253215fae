variable "samples" {
  type    = number
  default = 3
}

model "fast" {
  id          = "claude-haiku-4-5-20251001"
  temperature = 1
}

step "idea" {
  count  = var.samples
  model  = model.fast
  prompt = "Give idea number ${count.index + 1}."
}

step "pick" {
  model  = model.fast
  prompt = "Pick the best:\n${join("\n", [for i in step.idea : i.output])}\nFirst was: ${step.idea[0].output}"
}
