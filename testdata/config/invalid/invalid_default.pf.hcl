variable "rounds" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable
}

model "fast" {
  id = "claude-haiku-4-5-20251001"
}

step "a" {
  model  = model.fast
  prompt = "Go ${var.rounds} rounds."
}
