# summarize: one text to a summary of at most var.words words, then a
# check of it. The caller chooses the model.

variable "text" {
  type        = string
  description = "The text to summarize."
}

variable "words" {
  type    = number
  default = 60
}

variable "model" {
  type        = model
  description = "The model that writes the summary."
}

step "summary" {
  model  = var.model
  system = "You summarize faithfully, without adding facts."
  prompt = "Summarize in at most ${var.words} words:\n\n${var.text}"
}

step "title" {
  model  = var.model
  prompt = "Give this summary a title of at most six words:\n\n${step.summary.output}"
}

output "summary" {
  value = step.summary.output
}

output "title" {
  value = step.title.output
}
