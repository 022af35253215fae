package planner

import (
	"strings"
	"testing"
)

// sensitiveVars declares a sensitive string, map and number.
const sensitiveVars = `
variable "secret" {
  type      = string
  sensitive = true
  default   = "EACH-SECRET-1"
}
variable "smap" {
  type      = map(string)
  sensitive = true
  default   = { k = "EACH-SECRET-2" }
}
variable "n" {
  type      = number
  sensitive = true
  default   = 2
}
model "m" {
  id = "m1"
}
`

// TestSensitiveRepetition checks that a for_each or count that uses a
// sensitive value is an error on its expression: the keys would become
// part of instance addresses, shown everywhere.
func TestSensitiveRepetition(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ arg, summary string }{
		"set":              {`for_each = toset([var.secret])`, "Invalid for_each argument"},
		"sensitive map":    {`for_each = var.smap`, "Invalid for_each argument"},
		"derived keys":     {`for_each = { for k in [var.secret] : k => "x" }`, "Invalid for_each argument"},
		"derived set":      {`for_each = toset([upper(var.secret), "plain"])`, "Invalid for_each argument"},
		"key in an object": {`for_each = { (var.secret) = "x" }`, "Invalid for_each argument"},
		"count":            {`count = var.n`, "Invalid count argument"},
		"derived count":    {`count = length(var.secret)`, "Invalid count argument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := sensitiveVars + "step \"a\" {\n  model  = model.m\n  prompt = \"x\"\n  " + tc.arg + "\n}\n"
			diags := planDiags(t, src)
			if len(diags) != 1 || diags[0].Summary != tc.summary || diags[0].Subject == nil || diags[0].Subject.Start.Line != 23 {
				t.Fatalf("got %s, want one %q on line 23", diagsText(diags), tc.summary)
			}
			if d := diags[0].Detail; !strings.Contains(d, "Sensitive values, or values derived from them, cannot be used as") || strings.Contains(d, "SECRET") {
				t.Errorf("wrong detail: %s", d)
			}
		})
	}
}

// TestSensitiveEachValue checks that a map whose keys are plain and whose
// values are sensitive may be a for_each, as in Terraform: the addresses
// show the keys, each.value stays sensitive, and so do the messages that
// use it.
func TestSensitiveEachValue(t *testing.T) {
	t.Parallel()
	src := sensitiveVars + `
step "a" {
  model    = model.m
  prompt   = "Use ${each.value} for ${each.key}."
  for_each = { prod = var.secret, dev = "plain" }
}
`
	p := mustPlan(t, src, nil, false)
	prod := change(t, p, `step.a["prod"]`).Rendered
	if !prod.Sensitive() || !prod.Messages[0].Sensitive {
		t.Error("a message that uses a sensitive each.value is not sensitive")
	}
	if got := displayText(prod.Messages[0].Display); strings.Contains(got, "SECRET") || !strings.Contains(got, "for prod.") {
		t.Errorf("wrong display: %q", got)
	}
	if dev := change(t, p, `step.a["dev"]`).Rendered; dev.Sensitive() {
		t.Error("an instance whose each.value is plain is sensitive")
	}
}

// TestSensitiveIdentity checks that a model id or a message role that uses
// a sensitive value is an error: both are shown in plans, progress and the
// state.
func TestSensitiveIdentity(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ src, summary string }{
		"model id": {sensitiveVars + "model \"s\" {\n  id = var.secret\n}\n", "Invalid model id"},
		"role":     {sensitiveVars + "variable \"role\" {\n  default   = \"user\"\n  sensitive = true\n}\nstep \"a\" {\n  model = model.m\n  message {\n    role    = var.role\n    content = \"x\"\n  }\n}\n", "Invalid message role"},
	}
	for name, tc := range tests {
		diags := planDiags(t, tc.src)
		if len(diags) != 1 || diags[0].Summary != tc.summary || diags[0].Subject == nil || !strings.Contains(diags[0].Detail, "sensitive") ||
			strings.Contains(diags[0].Detail, "SECRET") {
			t.Errorf("%s: got %s, want one located %q about a sensitive value", name, diagsText(diags), tc.summary)
		}
	}
}

// displayText joins the known text of display segments, with
// (sensitive value) for the sensitive ones.
func displayText(segs []Segment) string {
	var sb strings.Builder
	for _, s := range segs {
		if s.Sensitive {
			sb.WriteString(SensitiveText)
		}
		sb.WriteString(s.Text)
	}
	return sb.String()
}
