# One summarize module used three ways: twice with different inputs and
# models, and once per language with for_each. Try it without a key or
# network:
#
#   promptform apply -auto-approve -offline

model "fast" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = 300
}

model "smart" {
  id         = "claude-sonnet-4-6"
  max_tokens = 600
}

step "draft" {
  model  = model.smart
  prompt = "Write three paragraphs on why configuration belongs in version control."
}

# The draft's summary, by the fast model.
module "short" {
  source = "./summarize"
  model  = model.fast
  text   = step.draft.output
  words  = 30
}

# A longer one of a fixed text, by the smart model; words keeps its default.
module "notes" {
  source = "./summarize"
  model  = model.smart
  text   = file("notes.txt")
}

# The short summary, rewritten for each audience.
module "audience" {
  source   = "./summarize"
  for_each = toset(["engineers", "managers"])
  model    = model.fast
  text     = "For ${each.key}: ${module.short.summary}"
  words    = 20
}

output "short" {
  value = module.short.summary
}

output "per_audience" {
  value = { for k, m in module.audience : k => m.summary }
}
