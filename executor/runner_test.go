package executor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// modelScripts answers each model from its own script, in order: a
// *gateway.Response to answer with, or an error to fail with; then
// "done". It keeps every request, in order.
type modelScripts struct {
	fakeClient
	mu       sync.Mutex
	script   map[string][]any
	requests []*gateway.Request
}

func (c *modelScripts) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	turns := c.script[req.Model]
	if len(turns) == 0 {
		return textAnswer("done"), nil
	}
	c.script[req.Model] = turns[1:]
	if err, ok := turns[0].(error); ok {
		return nil, err
	}
	return turns[0].(*gateway.Response), nil
}

// models lists the model of each request, in order.
func (c *modelScripts) models() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.requests {
		out = append(out, r.Model)
	}
	return out
}

// runnerHook records fallbacks and check results too.
type runnerHook struct{ eventHook }

func (h *runnerHook) FallbackUsed(addr, model string) { h.add("fallback %s: %s", addr, model) }
func (h *runnerHook) CheckResult(addr string, passed bool, messages []string) {
	h.add("check %s: %v %q", addr, passed, messages)
}

// fakeTool answers tool commands without a process: "found" and the
// arguments, or a failure when the arguments hold "fail". It keeps the
// arguments of every run.
type fakeTool struct {
	mu  sync.Mutex
	ran []string
}

func (f *fakeTool) run(ctx context.Context, tc toolCommand, args []byte) toolResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ran = append(f.ran, string(args))
	res := toolResult{Stdout: "found " + string(args), Duration: time.Millisecond}
	if strings.Contains(string(args), "fail") {
		res.Stdout, res.Err = "", tc.errorf("exited with status 1")
	}
	return res
}

// runnerFor plans src and returns the runner of its calls, with client
// and a fakeTool, and the call of the instance at addr as the scheduler
// hands it over.
func runnerFor(t *testing.T, src, addr string, client ChatClient) (*runner, *call, *runnerHook, *fakeTool) {
	t.Helper()
	plan, _ := setup(t, src, state.New())
	hook, tool := &runnerHook{}, &fakeTool{}
	r := newRunner(context.Background(), plan, Options{Hook: hook, CallContext: context.Background(),
		Client: func(*planner.Model) ChatClient { return client }})
	r.runTool = tool.run
	for _, ch := range plan.Changes {
		if ch.Address != addr {
			continue
		}
		c, err := newCall(ch.Rendered, newRedactor(sensitiveStrings(plan), ch.Rendered), newSchemaCache(), nil)
		if err != nil {
			t.Fatal(err)
		}
		c.conds = planner.NewScope(plan.Config, plan.Vars).EvalContext(nil, c.inst.Rep)
		return r, c, hook, tool
	}
	t.Fatalf("the plan has no change at %s", addr)
	return nil, nil, nil, nil
}

// failed returns why an outcome failed, and the summary of its first
// diagnostic.
func failed(out *outcome) (err, summary string) {
	if out.err != nil {
		err = out.err.Error()
	}
	if len(out.diags) > 0 {
		summary = out.diags[0].Summary
	}
	return err, summary
}

func TestRunnerPostconditions(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		condition   string
		wantFailed  string // the recorded failure; "" for a success
		wantSummary string
	}{
		"pass":          {`self.output == "yes"`, "", ""},
		"fail":          {`self.output == "no"`, `postcondition: step.s["a"]: a: the answer must be no`, "Postcondition failed"},
		"not a boolean": {`self.output`, `postcondition: step.s["a"]: The condition must be true or false.`, "Invalid condition"},
		"error": {`tonumber(self.output) > 1`,
			`postcondition: step.s["a"]: Invalid value for "v" parameter: cannot convert "yes" to number; given string must be a decimal representation of a number.`,
			"Invalid function argument"},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf(`
model "m" { id = "m1" }
step "s" {
  for_each = toset(["a"])
  model    = model.m
  prompt   = "go"
  postcondition {
    condition     = %s
    error_message = "${each.key}: the answer must be no"
  }
}
`, test.condition)
			client := &modelScripts{script: map[string][]any{"m1": {textAnswer("yes")}}}
			r, c, _, _ := runnerFor(t, src, `step.s["a"]`, client)
			out := r.run(c)
			if out.rec == nil {
				t.Fatalf("no record; err %v", out.err)
			}
			err, summary := failed(out)
			if out.rec.Failed != test.wantFailed || err != test.wantFailed || summary != test.wantSummary {
				t.Errorf("recorded failure %q, error %q, diagnostic %q\nwant %q, %q, %q",
					out.rec.Failed, err, summary, test.wantFailed, test.wantFailed, test.wantSummary)
			}
			if test.wantFailed == "" && (out.val.IsNull() || out.val.GetAttr("output").AsString() != "yes") {
				t.Errorf("the value of a success is %#v; want its output", out.val)
			}
			if test.wantFailed != "" && (len(out.diags) != 1 || out.diags[0].Subject == nil || out.diags[0].Severity != hcl.DiagError) {
				t.Errorf("want one error at the condition, got %#v", out.diags)
			}
		})
	}
}

func TestEvalCheck(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		asserts      []string // condition = error_message
		wantMessages []string
	}{
		"pass":          {[]string{`var.n > 1 = "Too small."`}, nil},
		"failed assert": {[]string{`var.n > 1 = "Too small."`, `var.n > 5 = "Not big enough: ${var.n}."`}, []string{"check.c: Not big enough: 3."}},
		"both failed":   {[]string{`var.n < 1 = "One."`, `var.n < 2 = "Two."`}, []string{"check.c: One.", "check.c: Two."}},
		"not boolean":   {[]string{`"maybe" = "Maybe."`}, []string{"check.c: The condition must be true or false."}},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := "variable \"n\" { default = 3 }\ncheck \"c\" {\n"
			for _, a := range test.asserts {
				cond, msg, _ := strings.Cut(a, " = ")
				src += fmt.Sprintf("  assert {\n    condition = %s\n    error_message = %s\n  }\n", cond, msg)
			}
			src += "}\n"
			plan, _ := setup(t, src, state.New())
			ctx := planner.NewScope(plan.Config, plan.Vars).EvalContext(nil, planner.Repetition{})
			messages, diags := evalCheck(plan.Config.Checks["c"], ctx)
			if strings.Join(messages, "|") != strings.Join(test.wantMessages, "|") {
				t.Errorf("wrong messages\ngot:  %q\nwant: %q", messages, test.wantMessages)
			}
			if len(diags) != len(test.wantMessages) || diags.HasErrors() {
				t.Errorf("want a warning per message, got %s", diags.Error())
			}
		})
	}
}

func TestCheckNotEvaluated(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
step "a" {
  model  = model.m
  prompt = "go"
}
check "c" {
  assert {
    condition     = step.a.output != ""
    error_message = "Empty."
  }
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	client := &modelScripts{script: map[string][]any{"m1": {&gateway.APIError{StatusCode: 400, Message: "bad"}}}}
	hook := &runnerHook{}
	Run(context.Background(), plan, Options{Client: func(*planner.Model) ChatClient { return client },
		Store: storeWith(t, st, path), Hook: hook})
	want := `check check.c: false ["not evaluated: step.a did not finish"]`
	if events := hook.list(); !strings.Contains(strings.Join(events, "\n"), want) {
		t.Errorf("events %q; want %s", events, want)
	}
}

const clientFallback = `
model "dead" { id = "dead-1" }
model "backup" { id = "backup-1" }
fallback "f" {
  models = [model.dead, model.backup]
  mode   = "client"
}
step "s" {
  model  = fallback.f
  prompt = "go"
}
`

func TestRunnerFallbacks(t *testing.T) {
	t.Parallel()
	down := &gateway.APIError{StatusCode: 503, Message: "down"}
	tests := map[string]struct {
		script      map[string][]any
		wantModels  []string // asked, in order
		wantModel   string   // recorded; "" when nothing is
		wantErr     string
		wantTried   []string // the recorded attempts
		wantEvents  []string
		wantSummary string
	}{
		"moves on from a transient error": {
			script:     map[string][]any{"dead-1": {down}, "backup-1": {textAnswer("ok")}},
			wantModels: []string{"dead-1", "backup-1"}, wantModel: "backup-1",
			wantTried:  []string{"dead-1: gateway: 503 Service Unavailable: down", "backup-1: "},
			wantEvents: []string{"fallback step.s: backup-1"},
		},
		"not from a 400": {
			script:     map[string][]any{"dead-1": {&gateway.APIError{StatusCode: 400, Message: "bad"}}},
			wantModels: []string{"dead-1"}, wantErr: `model "dead-1": gateway: 400 Bad Request: bad`,
			wantSummary: "Model request failed",
		},
		"every model fails": {
			script:     map[string][]any{"dead-1": {down}, "backup-1": {down}},
			wantModels: []string{"dead-1", "backup-1"},
			wantErr: "every model of the fallback chain failed:\n" +
				`  model "dead-1": gateway: 503 Service Unavailable: down` + "\n" +
				`  model "backup-1": gateway: 503 Service Unavailable: down`,
			wantEvents:  []string{"fallback step.s: backup-1"},
			wantSummary: "Model request failed",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := &modelScripts{script: test.script}
			r, c, hook, _ := runnerFor(t, clientFallback, "step.s", client)
			out := r.run(c)
			if got := client.models(); strings.Join(got, ",") != strings.Join(test.wantModels, ",") {
				t.Errorf("models asked %q, want %q", got, test.wantModels)
			}
			if err, summary := failed(out); err != test.wantErr || summary != test.wantSummary {
				t.Errorf("error %q, diagnostic %q\nwant  %q, %q", err, summary, test.wantErr, test.wantSummary)
			}
			if events := hook.list(); strings.Join(events, "|") != strings.Join(test.wantEvents, "|") {
				t.Errorf("events %q, want %q", events, test.wantEvents)
			}
			if test.wantModel == "" {
				if out.rec != nil {
					t.Errorf("recorded %+v; a failed chain is not recorded", out.rec)
				}
				return
			}
			var tried []string
			for _, a := range out.rec.ModelAttempts {
				tried = append(tried, a.Model+": "+a.Error)
			}
			if out.rec.Model != test.wantModel || strings.Join(tried, "|") != strings.Join(test.wantTried, "|") {
				t.Errorf("recorded model %q, attempts %q; want %q, %q", out.rec.Model, tried, test.wantModel, test.wantTried)
			}
		})
	}
}
