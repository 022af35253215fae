package planner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
)

// paramsSrc uses a sensitive value in a model's params, in a step's params
// and in a step's max_tokens; the first output takes the answer of a step
// whose request carries it.
const paramsSrc = `
variable "secret" {
  type      = string
  sensitive = true
  default   = "PARAM-SECRET-77"
}
variable "limit" {
  type      = number
  sensitive = true
  default   = 77
}
model "a" {
  id     = "m1"
  params = { metadata = { user = var.secret }, region = "global" }
}
model "b" {
  id = "m2"
}
step "p" {
  model  = model.a
  prompt = "plain prompt"
}
step "q" {
  model  = model.b
  prompt = "plain"
  params = { user = var.secret }
}
step "r" {
  model      = model.b
  prompt     = "plain"
  max_tokens = var.limit
}
step "s" {
  model  = model.a
  prompt = "plain"
  params = { metadata = { user = "visible" } }
}
step "t" {
  model  = model.b
  prompt = "plain"
  params = { user = "visible" }
}
`

// TestSensitiveParams checks that a request field that uses a sensitive
// value makes its step sensitive, names the field, and that a step's own
// plain value in place of a model's sensitive one is not sensitive.
func TestSensitiveParams(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, paramsSrc, nil, false)
	tests := map[string][]string{
		"step.p": {"metadata"},
		"step.q": {"user"},
		"step.r": {"max_tokens"},
		"step.s": nil,
		"step.t": nil,
	}
	for addr, want := range tests {
		r := change(t, p, addr).Rendered
		if got := r.SensitiveFields(); !slices.Equal(got, want) {
			t.Errorf("%s: got sensitive fields %v, want %v", addr, got, want)
		}
		if r.Sensitive() != (want != nil) {
			t.Errorf("%s: Sensitive() = %v, want %v", addr, r.Sensitive(), want != nil)
		}
		if v := p.ChangeValue(change(t, p, addr).Rendered.Instance.Step, change(t, p, addr)); v.GetAttr("output").IsMarked() != (want != nil) {
			t.Errorf("%s: the planned output is marked %v, want %v", addr, v.GetAttr("output").IsMarked(), want != nil)
		}
	}
	// The value is still sent.
	c := change(t, p, "step.q")
	if !strings.Contains(string(c.Canonical), "PARAM-SECRET-77") {
		t.Errorf("the sensitive param is not sent: %s", c.Canonical)
	}
}

// TestSensitiveParamsInDiff checks that a diff of a request shows a
// sensitive field as (sensitive value), both the recorded one, as its record
// lists it, and the planned one, and shows the plain fields beside it.
func TestSensitiveParamsInDiff(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, paramsSrc, nil, false)
	st := record(t, p, nil, false)
	for addr, fields := range map[string][]string{"step.p": {"metadata"}, "step.q": {"user"}, "step.r": {"max_tokens"}} {
		st.Steps[addr].Sensitive = true
		st.Steps[addr].SensitiveFields = fields
	}
	edited := strings.ReplaceAll(paramsSrc, `prompt = "plain`, `prompt = "edited`)
	edited = strings.Replace(edited, `default   = "PARAM-SECRET-77"`, `default   = "PARAM-SECRET-88"`, 1)
	edited = strings.Replace(edited, `default   = 77`, `default   = 88`, 1)
	np := mustPlan(t, edited, st, false)
	for _, addr := range []string{"step.p", "step.q"} {
		d := change(t, np, addr).Diff()
		if strings.Contains(d, "SECRET") {
			t.Errorf("%s: the diff shows a sensitive value:\n%s", addr, d)
		}
		if !strings.Contains(d, "+  edited") || !strings.Contains(d, "(sensitive value)") {
			t.Errorf("%s: the diff does not show the prompt and the redacted field:\n%s", addr, d)
		}
	}
	// Only the sensitive max_tokens of step.r changed: the diff says so.
	if d := change(t, np, "step.r").Diff(); !strings.Contains(d, "the change is in a part that uses a sensitive value") || strings.Contains(d, "88") {
		t.Errorf("step.r: wrong diff:\n%s", d)
	}
	if d := change(t, np, "step.p").Diff(); !strings.Contains(d, `region = "global"`) {
		t.Errorf("a plain param is hidden:\n%s", d)
	}
}

// TestSensitiveParamsOutput checks that an output using the answer of a
// step whose params use a sensitive value must be declared sensitive.
func TestSensitiveParamsOutput(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"step.p.output", "step.q.output", "step.r.output"} {
		src := paramsSrc + "output \"o\" {\n  value = " + ref + "\n}\n"
		diags := planDiags(t, src)
		if len(diags) != 1 || diags[0].Summary != "Output refers to sensitive values" || !strings.Contains(diags[0].Detail, ref) || diags[0].Subject == nil {
			t.Errorf("%s: got %s, want one located error naming %s", ref, diagsText(diags), ref)
		}
		src = paramsSrc + "output \"o\" {\n  value     = " + ref + "\n  sensitive = true\n}\n"
		if diags := planDiags(t, src); len(diags) > 0 {
			t.Errorf("%s: a sensitive output is refused: %s", ref, diagsText(diags))
		}
	}
}

// TestSensitiveFallbackParams checks that a later model of a chain whose
// params use a sensitive value makes the step sensitive: in gateway mode its
// field in the fallbacks entry is listed; in client mode the request sent
// to the first model does not carry it, but the answer may come from the
// later model.
func TestSensitiveFallbackParams(t *testing.T) {
	t.Parallel()
	for mode, want := range map[string][]string{"gateway": {"fallbacks.0.metadata"}, "client": nil} {
		src := paramsSrc + `
fallback "f" {
  models = [model.b, model.a]
  mode   = "` + mode + `"
}
step "u" {
  model  = fallback.f
  prompt = "plain"
}
`
		r := change(t, mustPlan(t, src, nil, false), "step.u").Rendered
		if !r.Sensitive() {
			t.Errorf("%s: the step is not sensitive", mode)
		}
		if got := r.SensitiveFields(); !slices.Equal(got, want) {
			t.Errorf("%s: got sensitive fields %v, want %v", mode, got, want)
		}
	}
}

// TestRedactFields checks the redaction of the recorded fields of a
// request, at the top level and in fallback entries, and that a record
// that lists its fields hides only the messages it lists.
func TestRedactFields(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	src := `{"model":"m1","user":"S1","metadata":{"user":"S2"},"region":"global","fallbacks":[{"model":"m2","user":"S3","max_tokens":5}],"messages":[{"role":"user","content":"hi"}]}`
	if err := json.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	RedactFields(doc, []string{"user", "metadata", "fallbacks.0.user", "missing", "fallbacks.3.user", "messages.x"})
	b, _ := json.Marshal(doc)
	if strings.Contains(string(b), "S1") || strings.Contains(string(b), "S2") || strings.Contains(string(b), "S3") {
		t.Errorf("a listed field is shown: %s", b)
	}
	for _, want := range []string{`"region":"global"`, `"max_tokens":5`, `"model":"m2"`, `"content":"hi"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s is hidden: %s", want, b)
		}
	}
	rec := &state.Step{Sensitive: true, SensitiveFields: []string{"user"}}
	if RedactedMessages(rec)(0) {
		t.Error("a record that lists its sensitive fields and no message hides a message")
	}
}

// planDiags loads src and plans it with its variables' defaults, returning
// every diagnostic.
func planDiags(t *testing.T, src string) hcl.Diagnostics {
	t.Helper()
	cfg := loadSrc(t, src, nil)
	vars, diags := config.NewParser().CollectVariables(cfg, nil, nil)
	if diags.HasErrors() {
		return diags
	}
	_, more := Build(cfg, Options{Vars: vars})
	return append(diags, more...)
}
