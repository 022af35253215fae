package planner

import (
	"encoding/json"
	"github.com/promptform/promptform/config"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

func TestExpandInstances(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		step  string
		want  []string // address = user message
		extra string
	}{
		"no instances": {
			step: `prompt = "one"`,
			want: []string{`step.a = one`},
		},
		"for_each over a map": {
			step: "for_each = { zed = \"Z\", alpha = \"A\" }\nprompt = \"${each.key}=${each.value}\"",
			want: []string{`step.a["alpha"] = alpha=A`, `step.a["zed"] = zed=Z`},
		},
		"for_each over a set": {
			step: "for_each = toset([\"b\", \"a\", \"b\"])\nprompt = \"${each.key}/${each.value}\"",
			want: []string{`step.a["a"] = a/a`, `step.a["b"] = b/b`},
		},
		"for_each over a local map of objects": {
			extra: "locals {\n  rows = { r1 = { q = \"why\" }, r2 = { q = \"how\" } }\n}\n",
			step:  "for_each = local.rows\nprompt = each.value.q",
			want:  []string{`step.a["r1"] = why`, `step.a["r2"] = how`},
		},
		"for_each over an empty map": {
			step: "for_each = {}\nprompt = each.key",
		},
		"count": {
			step: "count = 3\nprompt = \"n${count.index}\"",
			want: []string{`step.a[0] = n0`, `step.a[1] = n1`, `step.a[2] = n2`},
		},
		"count from a variable": {
			extra: "variable \"n\" {\n  type = number\n  default = 2\n}\n",
			step:  "count = var.n\nprompt = \"n${count.index}\"",
			want:  []string{`step.a[0] = n0`, `step.a[1] = n1`},
		},
		"count 0": {
			step: "count = 0\nprompt = \"x\"",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, tc.extra+"model \"m\" {\n  id = \"m1\"\n}\nstep \"a\" {\nmodel = model.m\n"+tc.step+"\n}\n", nil, false)
			var got []string
			for _, c := range p.Changes {
				if c.Action != Run || c.Reason != "new" {
					t.Errorf("%s: got %s (%s), want run (new)", c.Address, c.Action, c.Reason)
				}
				if c.Address != c.Addr.String() {
					t.Errorf("address %q differs from Addr %q", c.Address, c.Addr)
				}
				got = append(got, c.Address+" = "+c.Rendered.Messages[0].Wire.Content.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("wrong instances\ngot:  %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		step, want, detail string
	}{
		"for_each over a list":     {step: "for_each = [\"a\"]", want: "Invalid for_each argument", detail: "not a tuple"},
		"for_each null":            {step: "for_each = null", want: "Invalid for_each argument", detail: "must not be null"},
		"for_each set of numbers":  {step: "for_each = toset([1, 2])", want: "", detail: ""},
		"for_each from a new step": {step: "for_each = toset([step.up.output])", want: "Invalid for_each argument", detail: "has not run yet"},
		"negative count":           {step: "count = -1", want: "Invalid count argument", detail: "whole number"},
		"fractional count":         {step: "count = 1.5", want: "Invalid count argument", detail: "whole number"},
		"count from a new step":    {step: "count = length(step.up.output)", want: "Invalid count argument", detail: "has not run yet"},
		"count of the wrong type":  {step: "count = \"two\"", want: "Invalid count argument", detail: "whole number"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := "model \"m\" {\n  id = \"m1\"\n}\nstep \"up\" {\nmodel = model.m\nprompt = \"u\"\n}\nstep \"a\" {\nmodel = model.m\nprompt = \"x\"\n" + tc.step + "\n}\n"
			_, diags := Build(loadSrc(t, src, nil), Options{})
			if tc.want == "" {
				if len(diags) > 0 {
					t.Errorf("unexpected diagnostics:\n%s", diagsText(diags))
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != tc.want || !strings.Contains(diags[0].Detail, tc.detail) || diags[0].Subject == nil {
				t.Errorf("wrong diagnostics\ngot:  %s\nwant: one %q containing %q", diagsText(diags), tc.want, tc.detail)
			}
		})
	}
}

func TestAddr(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		addr     Addr
		want     string
		wantJSON string
	}{
		"single":      {addr: Addr{Step: addrs.Step{Name: "a"}}, want: "step.a", wantJSON: ""},
		"string key":  {addr: Addr{Step: addrs.Step{Name: "a"}, Key: cty.StringVal(`k "1"`)}, want: `step.a["k \"1\""]`, wantJSON: `"k \"1\""`},
		"number key":  {addr: Addr{Step: addrs.Step{Name: "a"}, Key: cty.NumberIntVal(12)}, want: "step.a[12]", wantJSON: "12"},
		"unicode key": {addr: Addr{Step: addrs.Step{Name: "a"}, Key: cty.StringVal("é")}, want: `step.a["é"]`, wantJSON: `"é"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.addr.String(); got != tc.want {
				t.Errorf("wrong address\ngot:  %s\nwant: %s", got, tc.want)
			}
			if got := string(tc.addr.KeyJSON()); got != tc.wantJSON {
				t.Errorf("wrong key JSON\ngot:  %s\nwant: %s", got, tc.wantJSON)
			}
		})
	}
}

const chainSrc = `
model "m" {
  id = "m1"
}
step "up" {
  model  = model.m
  prompt = "UP"
}
step "down" {
  model  = model.m
  prompt = "Use: ${step.up.output}!"
}
step "free" {
  model  = model.m
  prompt = "free"
}
`

func TestPlanUnknownUpstream(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, chainSrc, nil, false)
	down := change(t, p, "step.down")
	if down.Rendered.Known || down.Request != nil || down.Hash != "" {
		t.Errorf("downstream of a new step: got Known=%v request=%v hash=%q; want unknown, nil, \"\"", down.Rendered.Known, down.Request, down.Hash)
	}
	if down.Action != Run || down.Reason != "new" {
		t.Errorf("wrong action\ngot:  %s (%s)\nwant: run (new)", down.Action, down.Reason)
	}
	segs := down.Rendered.Messages[0].Display
	want := []Segment{{Text: "Use: "}, {Unknown: true, Ref: "step.up.output"}, {Text: "!"}}
	if !slices.Equal(segs, want) {
		t.Errorf("wrong display\ngot:  %+v\nwant: %+v", segs, want)
	}
	if _, err := down.Rendered.Request(); err == nil {
		t.Error("Request of an unknown render gave no error")
	}

	// With every step recorded but the upstream request changed, the
	// downstream step can only be decided at apply time.
	st := record(t, mustPlan(t, strings.Replace(chainSrc, `"UP"`, `"UP v1"`, 1), nil, false).withKnownDown(t), nil, false)
	p = mustPlan(t, chainSrc, st, false)
	if c := change(t, p, "step.up"); c.Action != Rerun || c.Reason != "prompt changed" {
		t.Errorf("step.up: got %s (%s), want rerun (prompt changed)", c.Action, c.Reason)
	}
	down = change(t, p, "step.down")
	if down.Action != RunIfChanged || down.Reason != "upstream step.up will run" {
		t.Errorf("step.down: got %s (%s), want run if inputs change (upstream step.up will run)", down.Action, down.Reason)
	}
	if down.Prior == nil {
		t.Error("step.down has no prior record")
	}
	if c := change(t, p, "step.free"); c.Action != Keep {
		t.Errorf("step.free: got %s (%s), want keep", c.Action, c.Reason)
	}
}

// withKnownDown plans p's configuration again against a state holding its
// upstream step, so that every request of the returned plan is known.
func (p *Plan) withKnownDown(t *testing.T) *Plan {
	t.Helper()
	st := state.New()
	for _, c := range p.Changes {
		if c.Hash != "" {
			st.Steps[c.Address] = &state.Step{Address: c.Address, RequestHash: c.Hash, Request: c.Canonical, Output: "recorded " + c.Address}
		}
	}
	next, diags := Build(p.Config, Options{Vars: p.Vars, State: st})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	for _, c := range next.Changes {
		if c.Hash == "" {
			t.Fatalf("%s is still unknown", c.Address)
		}
	}
	return next
}

// TestPlanKeptUpstream checks that a step downstream of a kept step sees
// the recorded output, so that its request is known and can be kept too.
func TestPlanKeptUpstream(t *testing.T) {
	t.Parallel()
	st := state.New()
	first := mustPlan(t, chainSrc, nil, false)
	up := change(t, first, "step.up")
	st.Steps["step.up"] = &state.Step{Address: "step.up", Name: "up", RequestHash: up.Hash, Request: up.Canonical, Output: "42", Model: "m1"}
	free := change(t, first, "step.free")
	st.Steps["step.free"] = &state.Step{Address: "step.free", Name: "free", RequestHash: free.Hash, Request: free.Canonical, Output: "f"}

	p := mustPlan(t, chainSrc, st, false)
	if c := change(t, p, "step.up"); c.Action != Keep || c.Reason != "unchanged" {
		t.Errorf("step.up: got %s (%s), want keep (unchanged)", c.Action, c.Reason)
	}
	down := change(t, p, "step.down")
	if !down.Rendered.Known || down.Action != Run || down.Reason != "new" {
		t.Fatalf("step.down: got known=%v %s (%s), want known, run (new)", down.Rendered.Known, down.Action, down.Reason)
	}
	if got, want := down.Request.Messages[0].Content.String(), "Use: 42!"; got != want {
		t.Errorf("wrong prompt\ngot:  %s\nwant: %s", got, want)
	}
	if !p.HasChanges() {
		t.Error("HasChanges is false with step.down to run")
	}

	st.Steps["step.down"] = &state.Step{Address: "step.down", Name: "down", RequestHash: down.Hash, Request: down.Canonical, Output: "d"}
	p = mustPlan(t, chainSrc, st, false)
	for _, c := range p.Changes {
		if c.Action != Keep {
			t.Errorf("%s: got %s (%s), want keep", c.Address, c.Action, c.Reason)
		}
	}
	if p.HasChanges() {
		t.Error("HasChanges is true with every step kept")
	}
	if got, want := p.Counts(), map[Action]int{Keep: 3}; !maps.Equal(got, want) {
		t.Errorf("wrong counts\ngot:  %v\nwant: %v", got, want)
	}
}

func TestPlanKeptInstancesFeedDownstream(t *testing.T) {
	t.Parallel()
	src := `
model "m" {
  id = "m1"
}
step "each" {
  for_each = toset(["x", "y"])
  model    = model.m
  prompt   = each.key
}
step "count" {
  count  = 2
  model  = model.m
  prompt = "c${count.index}"
}
step "join" {
  model  = model.m
  prompt = "${step.each["x"].output}+${step.each["y"].output}+${step.count[1].output}"
}
`
	first := mustPlan(t, src, nil, false)
	st := state.New()
	for _, c := range first.Changes {
		if c.Hash != "" {
			st.Steps[c.Address] = &state.Step{Address: c.Address, RequestHash: c.Hash, Request: c.Canonical, Output: "out:" + c.Address}
		}
	}
	if _, ok := st.Steps[`step.each["x"]`]; !ok {
		t.Fatalf("no record for step.each[\"x\"]; have %q", st.Addresses())
	}
	p := mustPlan(t, src, st, false)
	join := change(t, p, "step.join")
	want := `out:step.each["x"]+out:step.each["y"]+out:step.count[1]`
	if !join.Rendered.Known || join.Request.Messages[0].Content.String() != want {
		t.Errorf("wrong join request\ngot:  known=%v %v\nwant: %s", join.Rendered.Known, join.Request, want)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	temp := func(f float64) *float64 { return &f }
	req := func(model, prompt string, temperature *float64) *gateway.Request {
		return &gateway.Request{Model: model, Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent(prompt)}}, Temperature: temperature}
	}
	prior := func(r *gateway.Request, offline bool) *state.Step {
		hash, canonical, err := Hash(r)
		if err != nil {
			t.Fatal(err)
		}
		return &state.Step{Address: "step.a", RequestHash: hash, Request: canonical, Offline: offline}
	}
	base := req("m1", "hi", temp(0))
	tests := map[string]struct {
		prior      *state.Step
		req        *gateway.Request
		offline    bool
		wantAction Action
		wantReason string
	}{
		"new":                              {prior: nil, req: base, wantAction: Run, wantReason: "new"},
		"unchanged":                        {prior: prior(base, false), req: base, wantAction: Keep, wantReason: "unchanged"},
		"model changed":                    {prior: prior(base, false), req: req("m2", "hi", temp(0)), wantAction: Rerun, wantReason: "model changed"},
		"model and prompt changed":         {prior: prior(base, false), req: req("m2", "ho", temp(0)), wantAction: Rerun, wantReason: "model changed"},
		"prompt changed":                   {prior: prior(base, false), req: req("m1", "ho", temp(0)), wantAction: Rerun, wantReason: "prompt changed"},
		"temperature changed":              {prior: prior(base, false), req: req("m1", "hi", temp(1)), wantAction: Rerun, wantReason: "parameters changed"},
		"temperature removed":              {prior: prior(base, false), req: req("m1", "hi", nil), wantAction: Rerun, wantReason: "parameters changed"},
		"offline record, real run":         {prior: prior(base, true), req: base, wantAction: Rerun, wantReason: "recorded by the offline model"},
		"offline record, offline run":      {prior: prior(base, true), req: base, offline: true, wantAction: Keep, wantReason: "unchanged"},
		"real record, offline run":         {prior: prior(base, false), req: base, offline: true, wantAction: Keep, wantReason: "unchanged"},
		"offline record, changed, offline": {prior: prior(base, true), req: req("m1", "ho", temp(0)), offline: true, wantAction: Rerun, wantReason: "prompt changed"},
		"unreadable record": {
			prior: &state.Step{RequestHash: "sha256:0", Request: json.RawMessage(`not json`)},
			req:   base, wantAction: Rerun, wantReason: "request changed",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hash, _, err := Hash(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			action, reason := Decide(tc.prior, hash, tc.req, tc.offline)
			if action != tc.wantAction || reason != tc.wantReason {
				t.Errorf("wrong decision\ngot:  %s (%s)\nwant: %s (%s)", action, reason, tc.wantAction, tc.wantReason)
			}
		})
	}
}

func TestPlanOfflineRecords(t *testing.T) {
	t.Parallel()
	src := "model \"m\" {\n  id = \"m1\"\n}\nstep \"a\" {\n  model  = model.m\n  prompt = \"x\"\n}\n"
	st := record(t, mustPlan(t, src, nil, true), map[string]string{"step.a": "offline text"}, true)
	if c := change(t, mustPlan(t, src, st, true), "step.a"); c.Action != Keep {
		t.Errorf("offline plan: got %s (%s), want keep", c.Action, c.Reason)
	}
	if c := change(t, mustPlan(t, src, st, false), "step.a"); c.Action != Rerun || c.Reason != "recorded by the offline model" {
		t.Errorf("real plan: got %s (%s), want rerun (recorded by the offline model)", c.Action, c.Reason)
	}
}

func TestPlanDropAndCounts(t *testing.T) {
	t.Parallel()
	src := `
model "m" {
  id = "m1"
}
step "kept" {
  model  = model.m
  prompt = "same"
}
step "changed" {
  model  = model.m
  prompt = "PROMPT"
}
step "added" {
  model  = model.m
  prompt = "${step.changed.output}"
}
`
	old := mustPlan(t, strings.Replace(src, "PROMPT", "old", 1), nil, false)
	st := state.New()
	for _, a := range []string{"step.kept", "step.changed"} {
		c := change(t, old, a)
		st.Steps[a] = &state.Step{Address: a, RequestHash: c.Hash, Request: c.Canonical}
	}
	st.Steps["step.gone"] = &state.Step{Address: "step.gone", RequestHash: "sha256:00"}
	st.Steps[`step.kept["x"]`] = &state.Step{Address: `step.kept["x"]`, RequestHash: "sha256:01"}

	p := mustPlan(t, strings.Replace(src, "PROMPT", "new", 1), st, false)
	var got []string
	for _, c := range p.Changes {
		got = append(got, c.Action.Symbol()+" "+c.Address+" ("+c.Reason+")")
	}
	want := []string{
		"~ step.changed (prompt changed)",
		"+ step.added (new)",
		"  step.kept (unchanged)",
		"- step.gone (no longer in the configuration)",
		`- step.kept["x"] (no longer in the configuration)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("wrong changes\ngot:  %q\nwant: %q", got, want)
	}
	for _, c := range p.Changes {
		if c.Action == Drop && (c.Prior == nil || c.Rendered != nil) {
			t.Errorf("%s: a drop needs its prior and no render", c.Address)
		}
	}
	if got, want := p.Counts(), map[Action]int{Keep: 1, Run: 1, Rerun: 1, Drop: 2}; !maps.Equal(got, want) {
		t.Errorf("wrong counts\ngot:  %v\nwant: %v", got, want)
	}
	if !p.HasChanges() {
		t.Error("HasChanges is false")
	}
}

func TestPlanOnlyDropsHasChanges(t *testing.T) {
	t.Parallel()
	src := "model \"m\" {\n  id = \"m1\"\n}\nstep \"a\" {\n  model  = model.m\n  prompt = \"x\"\n}\n"
	st := record(t, mustPlan(t, src, nil, false), nil, false)
	st.Steps["step.b"] = &state.Step{Address: "step.b"}
	p := mustPlan(t, src, st, false)
	if got, want := p.Counts(), map[Action]int{Keep: 1, Drop: 1}; !maps.Equal(got, want) {
		t.Errorf("wrong counts\ngot:  %v\nwant: %v", got, want)
	}
	if !p.HasChanges() {
		t.Error("HasChanges is false with a drop")
	}
}

func TestPlanOutputs(t *testing.T) {
	t.Parallel()
	src := chainSrc + `
locals {
  greeting = "hello"
}
output "static" {
  value = upper(local.greeting)
}
output "later" {
  value = step.down.output
}
`
	p := mustPlan(t, src, nil, false)
	if got, want := p.Outputs["static"], cty.StringVal("HELLO"); !got.RawEquals(want) {
		t.Errorf("wrong static output\ngot:  %#v\nwant: %#v", got, want)
	}
	if got := p.Outputs["later"]; got.IsKnown() {
		t.Errorf("output of a step that will run is known: %#v", got)
	}
}

func TestActionNames(t *testing.T) {
	t.Parallel()
	var got []string
	for _, a := range []Action{Keep, Run, Rerun, RunIfChanged, Drop} {
		got = append(got, a.Symbol()+"|"+a.String())
	}
	want := []string{" |keep", "+|run", "~|rerun", "?|run if inputs change", "-|drop"}
	if !slices.Equal(got, want) {
		t.Errorf("wrong names\ngot:  %q\nwant: %q", got, want)
	}
}

func TestStepValue(t *testing.T) {
	t.Parallel()
	p := &Plan{}
	v := p.StepValue(&config.Step{Name: "a"}, &state.Step{
		Output:    "text",
		Result:    json.RawMessage(`{"title":"T","tags":["a"]}`),
		ToolCalls: []state.ToolCall{{ID: "c1", Name: "lookup", Arguments: `{"q":"x"}`}, {ID: "c2", Name: "raw", Arguments: "not json"}},
		Model:     "m1",
		Usage:     state.Usage{InputTokens: 1, OutputTokens: 2, TotalTokens: 3},
	})
	if !v.Type().IsObjectType() || !v.Type().HasAttribute("request_id") {
		t.Fatalf("wrong type %#v", v.Type())
	}
	checks := map[string]struct{ got, want cty.Value }{
		"output":       {v.GetAttr("output"), cty.StringVal("text")},
		"result.title": {v.GetAttr("result").GetAttr("title"), cty.StringVal("T")},
		"tool arg":     {v.GetAttr("tool_calls").Index(cty.NumberIntVal(0)).GetAttr("arguments").GetAttr("q"), cty.StringVal("x")},
		"raw tool arg": {v.GetAttr("tool_calls").Index(cty.NumberIntVal(1)).GetAttr("arguments"), cty.StringVal("not json")},
		"total tokens": {v.GetAttr("usage").GetAttr("total_tokens"), cty.NumberIntVal(3)},
	}
	for name, c := range checks {
		if !c.got.RawEquals(c.want) {
			t.Errorf("%s: got %#v, want %#v", name, c.got, c.want)
		}
	}
	if r := p.StepValue(&config.Step{Name: "a"}, &state.Step{}).GetAttr("result"); !r.IsNull() {
		t.Errorf("result without a schema: got %#v, want null", r)
	}
}
