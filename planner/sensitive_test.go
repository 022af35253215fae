package planner

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// TestStepValueSensitive checks that the answer of a recorded request that
// used a sensitive value is marked, and the rest of the step value is not.
func TestStepValueSensitive(t *testing.T) {
	t.Parallel()
	p := &Plan{}
	rec := &state.Step{Output: "echo: secret", Result: json.RawMessage(`{"a":1}`), Model: "m1", Sensitive: true,
		ToolCalls: []state.ToolCall{{ID: "c1", Name: "lookup", Arguments: `{"q":"secret"}`}}}
	v := p.StepValue(&config.Step{Name: "a"}, rec)
	for _, name := range answerAttrs {
		if !v.GetAttr(name).IsMarked() {
			t.Errorf("%s of a sensitive record is not marked", name)
		}
	}
	for _, name := range []string{"model", "usage", "finish_reason", "request_id"} {
		if v.GetAttr(name).ContainsMarked() {
			t.Errorf("%s of a sensitive record is marked; only the answer is", name)
		}
	}
	rec.Sensitive = false
	if p.StepValue(&config.Step{Name: "a"}, rec).ContainsMarked() {
		t.Error("the value of a record that used no sensitive value is marked")
	}
}

// TestChangeValue checks the value a planned instance gives its dependents:
// unknown, its answer marked when the rendered request is sensitive; the
// record when it is kept.
func TestChangeValue(t *testing.T) {
	t.Parallel()
	p := &Plan{}
	s := &config.Step{Name: "a"}
	secret := &Rendered{Messages: []RenderedMessage{{Role: "system"}, {Role: "user", Sensitive: true}}}
	plain := &Rendered{Messages: []RenderedMessage{{Role: "user"}}}

	v := p.ChangeValue(s, &Change{Action: Run, Rendered: secret})
	if !v.GetAttr("output").IsMarked() || v.GetAttr("output").IsKnown() || v.GetAttr("model").IsMarked() {
		t.Errorf("sensitive run: got %#v, want an unknown output marked, model unmarked", v)
	}
	if v := p.ChangeValue(s, &Change{Action: Run, Rendered: plain}); v.ContainsMarked() {
		t.Errorf("plain run: got %#v, want nothing marked", v)
	}
	kept := p.ChangeValue(s, &Change{Action: Keep, Rendered: plain, Prior: &state.Step{Output: "x", Sensitive: true}})
	if out := kept.GetAttr("output"); !out.IsMarked() || !out.IsKnown() {
		t.Errorf("kept sensitive record: got %#v, want its known output, marked", out)
	}
}

// TestMarkedAnswerThroughFunctions checks that the marked answer of a step,
// known or not yet, goes through functions and templates without an error
// and that what comes out is still marked.
func TestMarkedAnswerThroughFunctions(t *testing.T) {
	t.Parallel()
	p := &Plan{}
	s := &config.Step{Name: "a"}
	recorded := p.StepValue(s, &state.Step{Output: "echo: secret", Result: json.RawMessage(`{"n":1}`), Sensitive: true,
		ToolCalls: []state.ToolCall{{ID: "c1", Name: "lookup", Arguments: `{"q":"secret"}`}}})
	planned := p.ChangeValue(s, &Change{Action: Run, Rendered: &Rendered{Messages: []RenderedMessage{{Sensitive: true}}}})
	exprs := []string{
		`upper(step.a.output)`,
		`format("Summarise: %s", step.a.output)`,
		`"Summarise: ${step.a.output}"`,
		`jsonencode(step.a)`,
		`jsonencode(step.a.tool_calls)`,
		`jsonencode({ out = step.a.output, model = step.a.model })`,
		`length(step.a.output)`,
		`strcontains(step.a.output, "secret")`,
		`startswith(step.a.output, "echo")`,
		`replace(step.a.output, "echo", "said")`,
		`join(", ", [step.a.output, "x"])`,
		`step.a.output != "" ? "yes" : "no"`,
		`coalesce(step.a.output, "none")`,
		`sha256(step.a.output)`,
		`base64encode(step.a.output)`,
	}
	// HCL's for over a value of unknown type drops its marks: only the
	// recorded tool calls go through one marked.
	forExpr := `[for c in step.a.tool_calls : c.name]`
	checkMarked(t, "recorded", recorded, append(slices.Clip(exprs), forExpr))
	checkMarked(t, "planned", planned, exprs)
}

// checkMarked evaluates each expression with val as step.a and checks that
// it gives a marked value without an error.
func checkMarked(t *testing.T, name string, val cty.Value, exprs []string) {
	t.Helper()
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"step": cty.ObjectVal(map[string]cty.Value{"a": val})},
		Functions: config.Functions(t.TempDir()),
	}
	for _, src := range exprs {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags.Error())
		}
		v, diags := expr.Value(ctx)
		switch {
		case diags.HasErrors():
			t.Errorf("%s, %s: %s", name, src, diags.Error())
		case !v.ContainsMarked():
			t.Errorf("%s, %s: got %#v, want a marked value", name, src, v)
		}
	}
}

// TestOutputOfSensitiveStep checks that an output using the answer of a
// sensitive step is an error at the output's value that names the
// reference, and that a sensitive output takes it.
func TestOutputOfSensitiveStep(t *testing.T) {
	t.Parallel()
	p := &Plan{}
	step := p.StepValue(&config.Step{Name: "login"}, &state.Step{Output: "echo: secret", Result: json.RawMessage(`{"title":"T"}`), Sensitive: true})
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"step": cty.ObjectVal(map[string]cty.Value{"login": step})},
		Functions: config.Functions(t.TempDir()),
	}
	expr, diags := hclsyntax.ParseExpression([]byte(`"answer: ${upper(step.login.output)} from ${step.login.model}"`), "main.pf.hcl", hcl.Pos{Line: 7, Column: 11})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	o := &config.Output{Name: "shown", Value: expr}
	_, diags = OutputValue(o, ctx)
	if len(diags) != 1 || diags[0].Subject == nil || diags[0].Subject.Start.Line != 7 {
		t.Fatalf("got %s, want one error located at line 7", diagsText(diags))
	}
	d := diags[0].Detail
	if !strings.Contains(d, `Output "shown" uses step.login.output, which is sensitive`) || strings.Contains(d, "step.login.model") {
		t.Errorf("the error does not name the sensitive reference alone:\n%s", d)
	}
	// A reference into a marked value names the reference.
	into, _ := hclsyntax.ParseExpression([]byte(`step.login.result.title`), "main.pf.hcl", hcl.InitialPos)
	_, diags = OutputValue(&config.Output{Name: "title", Value: into}, ctx)
	if len(diags) != 1 || !strings.Contains(diags[0].Detail, "uses step.login.result.title, which") {
		t.Errorf("got %s, want an error naming step.login.result.title", diagsText(diags))
	}
	o.Sensitive = true
	v, diags := OutputValue(o, ctx)
	if diags.HasErrors() || v.ContainsMarked() || v.AsString() != "answer: ECHO: SECRET from " {
		t.Errorf("sensitive output: got %#v, %s; want the unmarked value", v, diagsText(diags))
	}
}

// TestSensitiveMessages checks which messages a request redacts: those
// whose content, name, tool_call_id or tool_calls use a sensitive value.
func TestSensitiveMessages(t *testing.T) {
	t.Parallel()
	src := `
variable "secret" {
  default   = "hunter2"
  sensitive = true
}
model "m" {
  id = "m1"
}
step "a" {
  model = model.m
  message {
    role    = "system"
    content = "You check passwords."
  }
  message {
    role    = "user"
    content = "Is ${var.secret} strong?"
  }
  message {
    role       = "assistant"
    content    = null
    tool_calls = [{ id = "c1", name = "check", arguments = { pw = var.secret } }]
  }
  message {
    role         = "tool"
    tool_call_id = "c1"
    content      = "weak"
  }
  message {
    role    = "user"
    name    = var.secret
    content = "And now?"
  }
}
`
	p := mustPlan(t, src, nil, false)
	r := change(t, p, "step.a").Rendered
	if got, want := r.SensitiveMessages(), []int{1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("got sensitive messages %v, want %v", got, want)
	}
	for _, m := range r.Messages {
		for _, note := range m.Notes {
			if strings.Contains(note, "hunter2") {
				t.Errorf("a note shows the sensitive value: %q", note)
			}
		}
	}
	if got := r.Messages[0].Display; len(got) != 1 || got[0].Text != "You check passwords." {
		t.Errorf("the system message is not shown as it is: %#v", got)
	}
}

// TestDiffRedactsRecordedMessages checks that a diff hides the recorded
// request's sensitive messages as the record lists them, and the new
// request's as it renders them, showing the rest.
func TestDiffRedactsRecordedMessages(t *testing.T) {
	t.Parallel()
	src := `
variable "secret" {
  default   = "hunter2"
  sensitive = true
}
model "m" {
  id = "m1"
}
step "a" {
  model  = model.m
  system = "You check passwords."
  prompt = "Is ${var.secret} strong?"
}
`
	p := mustPlan(t, src, nil, false)
	st := record(t, p, nil, false)
	st.Steps["step.a"].Sensitive = true
	st.Steps["step.a"].SensitiveMessages = []int{1}
	edited := mustPlan(t, strings.Replace(src, "You check", "You carefully check", 1), st, false)
	d := change(t, edited, "step.a").Diff()
	if !strings.Contains(d, "-  You check passwords.") || !strings.Contains(d, "+  You carefully check passwords.") || strings.Contains(d, "hunter2") {
		t.Errorf("wrong diff:\n%s", d)
	}
	// A record from before messages were listed hides them all.
	st.Steps["step.a"].SensitiveMessages = nil
	d = change(t, mustPlan(t, strings.Replace(src, "You check", "You carefully check", 1), st, false), "step.a").Diff()
	if strings.Contains(d, "-  You check passwords.") || strings.Contains(d, "hunter2") {
		t.Errorf("a sensitive record without its list shows a message:\n%s", d)
	}
}
