package planner

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
)

// planPriced plans src against st with the fake gateway's catalog (prices
// included) for every gateway, and replace as -replace addresses.
func planPriced(t *testing.T, src string, st *state.State, replace ...string) *Plan {
	t.Helper()
	cfg := loadSrc(t, src, nil)
	cats := map[*config.Gateway]*Catalog{}
	for _, m := range cfg.Models {
		cats[cfg.Gateway(m)] = NewCatalog(gatewaytest.DefaultModels(), true)
	}
	filter := &Filter{}
	for _, r := range replace {
		sel, err := ParseSelector(r)
		if err != nil {
			t.Fatal(err)
		}
		filter.Replace = append(filter.Replace, sel)
	}
	vars, diags := config.NewParser().CollectVariables(cfg, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics collecting variables:\n%s", diagsText(diags))
	}
	p, diags := Build(cfg, Options{Vars: vars, State: st, Catalogs: cats, Filter: filter})
	if diags.HasErrors() {
		t.Fatalf("unexpected diagnostics planning:\n%s", diagsText(diags))
	}
	return p
}

// answer records usage for every change of p whose request is known, as
// apply would: the fake gateway's usage (words) unless usage says.
func answer(t *testing.T, p *Plan, st *state.State, usage func(c *Change) state.Usage) *state.State {
	t.Helper()
	if st == nil {
		st = state.New()
	}
	for _, c := range p.Changes {
		if c.Request == nil {
			t.Fatalf("cannot answer %s: its request is not known", c.Address)
		}
		st.Steps[c.Address] = &state.Step{Address: c.Address, Name: c.Addr.Step.Name, Key: c.Addr.KeyJSON(),
			RequestHash: c.Hash, Request: c.Canonical, Model: c.Request.Model, Usage: usage(c)}
	}
	return st
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestEstimateInputTokens(t *testing.T) {
	t.Parallel()
	req := &gateway.Request{Model: "m", Messages: []gateway.Message{
		{Role: "system", Content: gateway.TextContent("Be brief.")},             // 9 bytes: 3 tokens
		{Role: "user", Content: gateway.TextContent("Write one line about a.")}, // 23 bytes: 6 tokens
	}}
	if got, want := EstimateInputTokens(req), RequestOverheadTokens+2*MessageOverheadTokens+3+6; got != want {
		t.Errorf("two messages: %d tokens, want %d", got, want)
	}
	plain := EstimateInputTokens(req)
	req.Tools = []gateway.Tool{{Type: "function", Function: gateway.ToolFunction{Name: "look_up", Parameters: json.RawMessage(`{"type":"object"}`)}}}
	b, _ := json.Marshal(req.Tools)
	if got, want := EstimateInputTokens(req), plain+(len(b)+3)/4; got != want {
		t.Errorf("with a tool: %d tokens, want %d (its definition's %d bytes counted)", got, want, len(b))
	}
	req.Tools = nil
	req.ResponseFormat = &gateway.ResponseFormat{Type: "json_schema", JSONSchema: &gateway.JSONSchema{Name: "s", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)}}
	if got := EstimateInputTokens(req); got <= plain+10 {
		t.Errorf("with a schema: %d tokens, want the schema counted over %d", got, plain)
	}
	// UTF-8 bytes, not characters: a token per 4 bytes of any script.
	cjk := &gateway.Request{Model: "m", Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("日本語です")}}} // 15 bytes
	if got, want := EstimateInputTokens(cjk), RequestOverheadTokens+MessageOverheadTokens+4; got != want {
		t.Errorf("CJK text: %d tokens, want %d", got, want)
	}
}

func TestCalibrate(t *testing.T) {
	t.Parallel()
	req := func(model, text string) (json.RawMessage, int) {
		r := &gateway.Request{Model: model, Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent(text)}}}
		_, canonical, err := Hash(r)
		if err != nil {
			t.Fatal(err)
		}
		return canonical, EstimateInputTokens(r)
	}
	st := state.New()
	add := func(addr, model, text string, in int, edit func(*state.Step)) int {
		b, est := req(model, text)
		rec := &state.Step{Address: addr, Name: "a", Request: b, Model: model, Usage: state.Usage{InputTokens: in, OutputTokens: 7}}
		if edit != nil {
			edit(rec)
		}
		st.Steps[addr] = rec
		return est
	}
	e1 := add(`step.a["1"]`, "x", strings.Repeat("word ", 40), 50, nil)
	e2 := add(`step.a["2"]`, "x", strings.Repeat("word ", 10), 14, nil)
	// Left out: the offline model's words, failed calls, tool loops,
	// output retries and fallback chains that moved on.
	add(`step.a["3"]`, "x", "offline", 999, func(s *state.Step) { s.Offline = true })
	add(`step.a["4"]`, "x", "failed", 0, nil)
	add(`step.a["5"]`, "x", "tools", 999, func(s *state.Step) { s.Rounds = []state.Round{{}} })
	add(`step.a["6"]`, "x", "retried", 999, func(s *state.Step) { s.SchemaAttempts = 2 })
	add(`step.a["7"]`, "x", "fell back", 999, func(s *state.Step) {
		s.ModelAttempts = []state.ModelAttempt{{Model: "x", Error: "down"}, {Model: "y"}}
	})
	// The state file keeps requests indented.
	ey := add(`step.b`, "y", "other model", 30, func(s *state.Step) {
		var buf bytes.Buffer
		if err := json.Indent(&buf, s.Request, "", "  "); err != nil {
			t.Fatal(err)
		}
		s.Request = buf.Bytes()
	})

	cal := Calibrate(st, nil)
	if got, want := cal.Ratio("x"), float64(64)/float64(e1+e2); !near(got, want) {
		t.Errorf("ratio of x = %v, want %v (recorded 64 over estimated %d)", got, want, e1+e2)
	}
	if got, want := cal.Ratio("y"), 30/float64(ey); !near(got, want) {
		t.Errorf("ratio of y = %v, want %v", got, want)
	}
	if got := cal.Ratio("never-recorded"); got != 1 {
		t.Errorf("ratio of a model never recorded = %v, want 1", got)
	}
	if only := Calibrate(st, map[string]bool{"y": true}); only["x"] != nil || only.Ratio("y") != cal.Ratio("y") {
		t.Errorf("Calibrate for y alone: %v", only)
	}
}

const estimateSrc = `
model "haiku" { id = "claude-haiku-4-5-20251001" }

step "draft" {
  for_each = toset(["a", "b"])
  model    = model.haiku
  prompt   = "Write one line about ${each.key}."
}

step "review" {
  for_each   = toset(["a", "b"])
  model      = model.haiku
  max_tokens = 50
  prompt     = "Review this: ${step.draft[each.key].output}"
}
`

// TestEstimateFirstPlan checks the estimate without records: input from
// the text, a part not known yet counted as the output its step is
// expected to give, output from max_tokens or the default, the upper bound
// from max_tokens or the catalog, priced at the gateway's region tier.
func TestEstimateFirstPlan(t *testing.T) {
	t.Parallel()
	p := planPriced(t, estimateSrc, nil)
	us := state.Price{Input: 1.1, Output: 5.5, CacheRead: 0.11, CacheWrite: 1.375, Source: "catalog (us)"}

	draft := change(t, p, `step.draft["a"]`).Cost
	if draft == nil || !draft.Priced || !near(draft.Price.Input, us.Input) || !near(draft.Price.Output, us.Output) || draft.Price.Source != us.Source {
		t.Fatalf("draft cost %+v, want priced at %+v", draft, us)
	}
	in := EstimateInputTokens(change(t, p, `step.draft["a"]`).Request)
	if draft.InputTokens != in || draft.OutputTokens != DefaultOutputTokens || draft.MaxOutputTokens != 64000 {
		t.Errorf("draft tokens %d/%d/%d, want %d in, %d out, at most 64000 (the catalog's)", draft.InputTokens, draft.OutputTokens, draft.MaxOutputTokens, in, DefaultOutputTokens)
	}
	if want := (float64(in)*1.1 + 500*5.5) / 1e6; !near(draft.Expected, want) {
		t.Errorf("draft expected $%v, want $%v", draft.Expected, want)
	}
	if want := (float64(in)*1.1 + 64000*5.5) / 1e6; !near(draft.Max, want) {
		t.Errorf("draft max $%v, want $%v", draft.Max, want)
	}

	review := change(t, p, `step.review["a"]`)
	if review.Request != nil {
		t.Fatal("the review's request should not be known yet")
	}
	known := EstimateInputTokens(&gateway.Request{Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("Review this: ")}}})
	if got, want := review.Cost.InputTokens, known+DefaultOutputTokens; got != want {
		t.Errorf("review input %d, want %d: its known text and the draft's expected output", got, want)
	}
	if review.Cost.OutputTokens != 50 || review.Cost.MaxOutputTokens != 50 || !near(review.Cost.Max, review.Cost.Expected) {
		t.Errorf("review output %d, at most %d, max $%v: want 50, 50 and the expected $%v", review.Cost.OutputTokens, review.Cost.MaxOutputTokens, review.Cost.Max, review.Cost.Expected)
	}

	est := p.Cost
	if est.Calls != 4 || len(est.Unpriced) != 0 || len(est.Unbounded) != 0 || est.Offline {
		t.Errorf("estimate %+v, want 4 priced, bounded calls", est)
	}
	if want := 2*draft.Expected + 2*review.Cost.Expected; !near(est.Expected, want) {
		t.Errorf("expected $%v, want the instances' sum $%v", est.Expected, want)
	}
	if len(est.Steps) != 2 || est.Steps[0].Step != "step.draft" || est.Steps[1].Step != "step.review" || est.Steps[0].Calls != 2 {
		t.Errorf("steps %+v, want step.draft then step.review, 2 calls each", est.Steps)
	}
}

// TestEstimateCalibrated checks the second plan: input calibrated by what
// the model recorded, output the mean the step recorded, a request not
// known yet counted at its record's input.
func TestEstimateCalibrated(t *testing.T) {
	t.Parallel()
	first := planPriced(t, estimateSrc, nil)
	outputs := map[string]int{`step.draft["a"]`: 6, `step.draft["b"]`: 10, `step.review["a"]`: 20, `step.review["b"]`: 30}
	// The review's record as if answered: its request is not known in the
	// first plan, so record one of the same model.
	st := state.New()
	for _, c := range first.Changes {
		req := c.Request
		if req == nil {
			req = &gateway.Request{Model: c.Rendered.Model.ID, Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("Review this: echo: something")}}}
		}
		hash, canonical, err := Hash(req)
		if err != nil {
			t.Fatal(err)
		}
		in := 3 * EstimateInputTokens(req) // the model counts three times the estimate
		st.Steps[c.Address] = &state.Step{Address: c.Address, Name: c.Addr.Step.Name, Key: c.Addr.KeyJSON(), RequestHash: hash, Request: canonical,
			Model: req.Model, Usage: state.Usage{InputTokens: in, OutputTokens: outputs[c.Address]}}
	}

	p := planPriced(t, estimateSrc, st, "step.draft")
	d := change(t, p, `step.draft["a"]`)
	if d.Action != Rerun {
		t.Fatalf("draft[a] is %s, want rerun", d.Action)
	}
	if got, want := d.Cost.InputTokens, 3*EstimateInputTokens(d.Request); got != want {
		t.Errorf("calibrated input %d, want %d (three times the estimate, as recorded)", got, want)
	}
	if d.Cost.OutputTokens != 8 {
		t.Errorf("draft output %d, want 8: the mean of its records (6 and 10)", d.Cost.OutputTokens)
	}
	r := change(t, p, `step.review["b"]`)
	if r.Action != RunIfChanged || r.Cost == nil {
		t.Fatalf("review[b] is %s with cost %v, want run if inputs change, estimated", r.Action, r.Cost)
	}
	if want := st.Steps[`step.review["b"]`].Usage.InputTokens; r.Cost.InputTokens != want {
		t.Errorf("review input %d, want %d: its record's", r.Cost.InputTokens, want)
	}
	if r.Cost.OutputTokens != 25 {
		t.Errorf("review output %d, want 25: the mean of its records", r.Cost.OutputTokens)
	}
	// The draft's calls, recorded again as they were: the estimate is what
	// they cost.
	var drafts float64
	for _, c := range p.Changes {
		if c.Addr.Step.Name == "draft" {
			drafts += CostOf(st.Steps[c.Address].Usage, c.Cost.Price)
		}
	}
	if !near(p.Cost.Steps[0].Expected, drafts) {
		t.Errorf("step.draft expected $%v, want the recorded $%v", p.Cost.Steps[0].Expected, drafts)
	}
}

// TestEstimateMaxTokensBoundsRecords checks that the expected output never
// exceeds the upper bound: a step whose records answered long and whose
// max_tokens is now lower expects max_tokens.
func TestEstimateMaxTokensBoundsRecords(t *testing.T) {
	t.Parallel()
	src := "model \"m\" { id = \"gpt-5-mini\" }\nstep \"a\" {\n  model = model.m\n  prompt = \"p\"\n  max_tokens = MAX\n}\n"
	first := planPriced(t, strings.Replace(src, "MAX", "1000", 1), nil)
	st := answer(t, first, nil, func(*Change) state.Usage { return state.Usage{InputTokens: 5, OutputTokens: 900} })
	p := planPriced(t, strings.Replace(src, "MAX", "100", 1), st)
	if c := change(t, p, "step.a").Cost; c.OutputTokens != 100 || c.MaxOutputTokens != 100 {
		t.Errorf("output %d, at most %d; want 100 and 100", c.OutputTokens, c.MaxOutputTokens)
	}
}

// TestEstimatePrices checks where prices come from: a model's price wins;
// model_region = "global" is billed at the global tier; a model without a
// price is named, not counted as free; with no output limit the upper
// bound counts the expected output.
func TestEstimatePrices(t *testing.T) {
	t.Parallel()
	src := `
model "own" {
  id    = "claude-haiku-4-5-20251001"
  price = { input = 2, output = 10 }
}
model "global" {
  id     = "claude-haiku-4-5-20251001"
  params = { model_region = "global" }
}
model "magic" { id = "fail-500" }
step "own" {
  model  = model.own
  prompt = "p"
}
step "global" {
  model  = model.global
  prompt = "p"
}
step "magic" {
  count  = 2
  model  = model.magic
  prompt = "p"
}
`
	p := planPriced(t, src, nil)
	if c := change(t, p, "step.own").Cost; c.Price.Source != "model.own" || c.Price.Input != 2 || c.Price.Output != 10 {
		t.Errorf("own price %+v, want the model block's", c.Price)
	}
	if c := change(t, p, "step.global").Cost; c.Price.Source != "catalog (global)" || c.Price.Input != 1 {
		t.Errorf("global price %+v, want the catalog's global tier", c.Price)
	}
	magic := change(t, p, "step.magic[0]").Cost
	if magic.Priced || magic.Expected != 0 || magic.Max != 0 {
		t.Errorf("magic cost %+v, want unpriced", magic)
	}
	est := p.Cost
	if !slices.Equal(est.Unpriced, []string{"fail-500"}) || est.Calls != 4 {
		t.Errorf("unpriced %v of %d calls, want [fail-500] of 4", est.Unpriced, est.Calls)
	}
	if want := change(t, p, "step.own").Cost.Expected + change(t, p, "step.global").Cost.Expected; !near(est.Expected, want) {
		t.Errorf("expected $%v, want $%v: the priced calls only", est.Expected, want)
	}
	i := slices.IndexFunc(est.Steps, func(s StepCost) bool { return s.Step == "step.magic" })
	if i < 0 {
		t.Fatalf("no estimate of step.magic in %+v", est.Steps)
	}
	if s := est.Steps[i]; s.Calls != 2 || s.Unpriced != 2 || s.Expected != 0 {
		t.Errorf("magic step %+v, want 2 calls, 2 unpriced", s)
	}

	// No catalog: the model's own price alone, and no output limit.
	cfg := loadSrc(t, src, nil)
	bare, diags := Build(cfg, Options{State: state.New()})
	if diags.HasErrors() {
		t.Fatal(diagsText(diags))
	}
	own := change(t, bare, "step.own").Cost
	if !own.Priced || own.MaxOutputTokens != 0 || !near(own.Max, own.Expected) {
		t.Errorf("own cost without a catalog %+v, want priced with max = expected", own)
	}
	if !slices.Equal(bare.Cost.Unbounded, []string{"claude-haiku-4-5-20251001"}) || !slices.Equal(bare.Cost.Unpriced, []string{"claude-haiku-4-5-20251001", "fail-500"}) {
		t.Errorf("without a catalog: unbounded %v, unpriced %v", bare.Cost.Unbounded, bare.Cost.Unpriced)
	}
}

// TestEstimateOffline checks that the offline model costs nothing and is
// not unpriced.
func TestEstimateOffline(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, estimateSrc, nil, true)
	est := p.Cost
	if !est.Offline || est.Calls != 4 || est.Expected != 0 || est.Max != 0 || len(est.Unpriced) != 0 {
		t.Errorf("offline estimate %+v, want 4 calls costing nothing", est)
	}
	if c := change(t, p, `step.draft["a"]`).Cost; !c.Priced || c.Expected != 0 || c.Price.Source != "offline" {
		t.Errorf("offline instance %+v", c)
	}
}

// TestEstimateNothingToRun checks that kept instances cost nothing and
// carry no estimate.
func TestEstimateNothingToRun(t *testing.T) {
	t.Parallel()
	src := "model \"m\" { id = \"gpt-5-mini\" }\nstep \"a\" {\n  model = model.m\n  prompt = \"p\"\n}\n"
	first := planPriced(t, src, nil)
	st := answer(t, first, nil, func(*Change) state.Usage { return state.Usage{InputTokens: 1, OutputTokens: 2} })
	p := planPriced(t, src, st)
	if c := change(t, p, "step.a"); c.Action != Keep || c.Cost != nil {
		t.Errorf("step.a %s with cost %v, want kept without one", c.Action, c.Cost)
	}
	if p.Cost.Calls != 0 || p.Cost.Expected != 0 || p.Cost.Steps != nil {
		t.Errorf("estimate %+v, want nothing", p.Cost)
	}
}

// TestEstimateExtraCallsAndSensitiveLimit checks that steps with tools or
// output retries are marked as making uncounted calls, and that a
// sensitive max_tokens is not read off the estimate.
func TestEstimateExtraCallsAndSensitiveLimit(t *testing.T) {
	t.Parallel()
	src := `
variable "limit" {
  default   = 77
  sensitive = true
}
model "m" { id = "gpt-5-mini" }
tool "look" {
  description = "look"
  type        = object({ term = string })
  command     = ["true"]
}
step "tools" {
  model  = model.m
  prompt = "p"
  tools  = [tool.look]
}
step "plain" {
  model      = model.m
  prompt     = "p"
  max_tokens = var.limit
}
`
	p := planPriced(t, src, nil)
	for _, sc := range p.Cost.Steps {
		if want := sc.Step == "step.tools"; sc.ExtraCalls != want {
			t.Errorf("%s extra calls %v, want %v", sc.Step, sc.ExtraCalls, want)
		}
	}
	if c := change(t, p, "step.plain").Cost; c.MaxOutputTokens == 77 || c.OutputTokens == 77 {
		t.Errorf("the sensitive max_tokens shows in the estimate: %+v", c)
	}
}

func TestInstanceCostJSON(t *testing.T) {
	t.Parallel()
	priced := InstanceCost{Model: "m", InputTokens: 1, OutputTokens: 2, MaxOutputTokens: 3, Expected: 0.5, Max: 1, Priced: true, Price: state.Price{Input: 1, Output: 2, Source: "model.m"}}
	b, err := json.Marshal(priced)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","expected_usd":0.5,"max_usd":1,"input_tokens":1,"output_tokens":2,"max_output_tokens":3,"priced":true,"price":{"input":1,"output":2,"source":"model.m"}}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	var back InstanceCost
	if err := json.Unmarshal(b, &back); err != nil || back != priced {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	b, _ = json.Marshal(InstanceCost{Model: "m", InputTokens: 1})
	if strings.Contains(string(b), "price\"") {
		t.Errorf("an unpriced estimate carries a price: %s", b)
	}
}
