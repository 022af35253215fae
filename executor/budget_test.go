package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

const pricedModels = `
model "m" {
  id         = "m1"
  max_tokens = 100
  price      = { input = 1, output = 5 }
}
model "dear" {
  id         = "m2"
  max_tokens = 200
  price      = { input = 3, output = 15 }
}
model "free" { id = "m3" }
model "endless" {
  id    = "m4"
  price = { input = 1, output = 5 }
}
step "s" {
  model  = model.m
  prompt = "hello"
}
`

// ask is a request of one user message to model id, answered with at
// most maxTokens (none when 0).
func ask(id, text string, maxTokens int) *gateway.Request {
	req := &gateway.Request{Model: id, Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent(text)}}}
	if maxTokens > 0 {
		req.MaxTokens = &maxTokens
	}
	return req
}

// answer is a response of model id with usage in and out.
func answer(id string, in, out int) *gateway.Response {
	return &gateway.Response{Model: id, Usage: &gateway.Usage{InputTokens: in, OutputTokens: out}}
}

// near reports whether two amounts agree but for float noise.
func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestBudgetReserveAndSettle(t *testing.T) {
	t.Parallel()
	plan, _ := setup(t, pricedModels, state.New())
	m, dear := plan.Models["m"], plan.Models["dear"]
	req := ask("m1", "hello", 100)
	in, err := inputBound(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := len(`{"model":"m1","messages":[{"role":"user","content":"hello"}],"max_tokens":100}`); in != body+requestOverhead+messageOverhead {
		t.Fatalf("input bound %d, want the request's %d bytes and the overheads", in, body)
	}
	bound := (float64(in)*1 + 100*5) / 1e6
	withFallback := *req
	withFallback.Fallbacks = []gateway.Fallback{{Model: "m2"}}
	inFB, _ := inputBound(&withFallback)
	boundFB := (float64(inFB)*3 + 100*15) / 1e6 // m2's price; the request's max_tokens
	tests := map[string]struct {
		model     *planner.Model
		req       *gateway.Request
		limit     float64
		resp      *gateway.Response
		err       error
		wantErr   string  // "" when the request is sent
		wantSpent float64 // after the answer
		wantBound float64 // what stays held of an answer whose cost is not known
	}{
		"fits: the answer's cost replaces the bound": {model: m, req: req, limit: bound,
			resp: answer("m1", 10, 20), wantSpent: (10*1 + 20*5) / 1e6},
		"crosses the budget": {model: m, req: req, limit: bound * 0.99,
			wantErr: "the budget could be exceeded: the request to \"m1\" could cost up to"},
		"an error status costs nothing": {model: m, req: req, limit: 1,
			err: &gateway.APIError{StatusCode: 500, Message: "down"}},
		"a failure after sending costs the bound": {model: m, req: req, limit: 1,
			err: errors.New("connection reset"), wantBound: bound},
		"an answer without usage costs the bound": {model: m, req: req, limit: 1,
			resp: &gateway.Response{Model: "m1"}, wantBound: bound},
		"a gateway fallback bounds at its dearer price": {model: m, req: &withFallback, limit: boundFB,
			resp: answer("m2", 10, 20), wantSpent: (10*3 + 20*15) / 1e6},
		"an answer naming another model costs at the dearest price": {model: m, req: &withFallback, limit: 1,
			resp: answer("m2-2025", 10, 20), wantSpent: (10*3 + 20*15) / 1e6},
		"the step's own model, dearer": {model: dear, req: ask("m2", "hello", 200), limit: 1,
			resp: answer("m2", 1, 1), wantSpent: (1*3 + 1*15) / 1e6},
		"an unpriced model is refused": {model: plan.Models["free"], req: ask("m3", "hello", 100), limit: 1,
			wantErr: `model "m3" has no price`},
		"an unbounded answer is refused": {model: plan.Models["endless"], req: ask("m4", "hello", 0), limit: 1,
			wantErr: `nothing bounds the length of the answers of model "m4"`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			limit := test.limit
			b := newBudget(plan, &limit)
			h, err := b.reserve(test.model, test.req, false)
			if test.wantErr != "" {
				if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), test.wantErr) {
					t.Fatalf("error %v, want ErrBudget saying %q", err, test.wantErr)
				}
				if _, err := b.reserve(m, ask("m1", "", 100), false); !errors.Is(err, ErrBudget) || !b.isStopped() {
					t.Errorf("after a refusal a request was let through (%v)", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if h.bound > limit || !near(b.held, h.bound) {
				t.Errorf("bound %g held as %g within %g", h.bound, b.held, limit)
			}
			b.settle(h, test.resp, test.err)
			if !near(b.spent, test.wantSpent) || !near(b.unsure, test.wantBound) || b.held != 0 {
				t.Errorf("spent %g, unsure %g, held %g; want %g, %g, 0", b.spent, b.unsure, b.held, test.wantSpent, test.wantBound)
			}
		})
	}
}

func TestBudgetHoldsCallsInFlight(t *testing.T) {
	t.Parallel()
	plan, _ := setup(t, pricedModels, state.New())
	m := plan.Models["m"]
	probe := newBudget(plan, new(float64))
	h, _ := probe.bound(m, ask("m1", "a", 100))
	limit := 2.5 * h.bound
	b := newBudget(plan, &limit)
	first, err1 := b.reserve(m, ask("m1", "a", 100), false)
	_, err2 := b.reserve(m, ask("m1", "b", 100), false)
	if err1 != nil || err2 != nil {
		t.Fatalf("two bounds within 2.5 refused: %v, %v", err1, err2)
	}
	if _, err := b.reserve(m, ask("m1", "c", 100), false); !errors.Is(err, ErrBudget) {
		t.Fatalf("a third call in flight was let through: %v", err)
	}
	b.settle(first, answer("m1", 1, 1), nil)
	if _, err := b.reserve(m, ask("m1", "d", 100), false); !errors.Is(err, ErrBudget) {
		t.Errorf("a call started after the budget refused one: %v", err)
	}
	// A call in flight may still send its next request (a tool round, a
	// retry) when it fits, so that it finishes and is recorded...
	if _, err := b.reserve(m, ask("m1", "e", 100), true); err != nil {
		t.Errorf("a call in flight could not finish after the stop: %v", err)
	}
	// ...but never past the budget.
	if _, err := b.reserve(m, ask("m1", "f", 100), true); !errors.Is(err, ErrBudget) {
		t.Errorf("a follow-up request past the budget was let through: %v", err)
	}
}

// budgetHook records skipped and failed instances.
type budgetHook struct{ skipHook }

// forEachPriced is n instances of one step on a priced model.
func forEachPriced(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%q", fmt.Sprintf("k%02d", i))
	}
	return `
model "m" {
  id         = "m1"
  max_tokens = 10
  price      = { input = 1, output = 5 }
}
step "s" {
  for_each = toset([` + strings.Join(keys, ", ") + `])
  model    = model.m
  prompt   = "item ${each.key}"
}
`
}

func TestRunStopsAtBudget(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, forEachPriced(20), st)
	var most float64 // the largest bound of a call
	probe := newBudget(plan, new(float64))
	for _, c := range plan.Changes {
		h, err := probe.bound(c.Rendered.Model, c.Request)
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, h.bound)
	}
	const perCall = (3*1 + 2*5) / 1e6 // the fake's usage: 3 in, 2 out
	limit := most + 5.5*perCall       // the 6th call starts with 5 paid for; the 7th would not fit
	fc := &fakeClient{}
	hook := &budgetHook{}
	res := Run(context.Background(), plan, Options{
		Parallelism: 1, Client: func(*planner.Model) ChatClient { return fc },
		Store: storeWith(t, st, path), Hook: hook, Budget: &limit,
	})
	if res.Called != 6 || res.Failed != 0 || res.Skipped != 14 || res.Diagnostics.HasErrors() || len(fc.callList()) != 6 {
		t.Fatalf("called %d, failed %d, skipped %d, sent %d, diagnostics %q; want 6, 0, 14, 6, none",
			res.Called, res.Failed, res.Skipped, len(fc.callList()), res.Diagnostics.Error())
	}
	u := res.Budget
	if !u.Reached() || u.NotRun != 14 || !near(u.Spent, 6*perCall) || u.Spent > limit || res.Halted != "budget" {
		t.Errorf("budget use %+v, halted %q; want stopped, 14 not run, spent %g, halted budget", u, res.Halted, 6*perCall)
	}
	for _, e := range hook.list() {
		if strings.HasPrefix(e, "skipped") && !strings.HasSuffix(e, ": budget") {
			t.Errorf("skipped for another reason than the budget: %s", e)
		}
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var recorded float64
	for _, rec := range saved.Steps {
		recorded += planner.CostOf(rec.Usage, state.Price{Input: 1, Output: 5})
	}
	if len(saved.Steps) != 6 || recorded > limit {
		t.Errorf("%d recorded at $%g; want 6 within $%g", len(saved.Steps), recorded, limit)
	}
}

func TestRunWithinBudgetCompletes(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, forEachPriced(5), st)
	limit := 1.0
	res := Run(context.Background(), plan, Options{
		Client: func(*planner.Model) ChatClient { return &fakeClient{} }, Store: storeWith(t, st, path), Budget: &limit,
	})
	if res.Called != 5 || res.Budget.Reached() || !near(res.Budget.Spent, 5*(3*1+2*5)/1e6) {
		t.Errorf("called %d, budget use %+v; want 5 within the budget", res.Called, res.Budget)
	}
}

const retriedPriced = `
schema "ticket" {
  type = object({ title = string })
}
model "m" {
  id         = "m1"
  max_tokens = 10
  price      = { input = 1, output = 5 }
}
step "s" {
  model          = model.m
  prompt         = "triage"
  schema         = schema.ticket
  output_retries = 2
}
`

// A schema retry is a request of its own: when the budget cannot hold
// it, the instance is skipped, not failed, and nothing is recorded.
func TestBudgetRefusesSchemaRetry(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, retriedPriced, st)
	h, err := newBudget(plan, new(float64)).bound(plan.Models["m"], plan.Changes[0].Request)
	if err != nil {
		t.Fatal(err)
	}
	limit := h.bound * 1.01 // the first request, not its retry, which is longer
	fc := &fakeClient{}     // answers "re: triage", which is not JSON
	hook := &budgetHook{}
	res := Run(context.Background(), plan, Options{
		Client: func(*planner.Model) ChatClient { return fc }, Store: storeWith(t, st, path), Hook: hook, Budget: &limit,
	})
	if n := len(fc.callList()); n != 1 || res.Failed != 0 || res.Skipped != 1 || !res.Budget.Reached() {
		t.Fatalf("%d requests, failed %d, skipped %d, budget %+v; want 1, 0, 1, stopped", n, res.Failed, res.Skipped, res.Budget)
	}
	if events := hook.list(); strings.Join(events, "|") != "skipped step.s: budget" {
		t.Errorf("events %q, want the instance skipped for the budget", events)
	}
	if !near(res.Budget.Spent, (3*1+2*5)/1e6) {
		t.Errorf("spent %g: the answer that was paid for is spent", res.Budget.Spent)
	}
}

const streamedPriced = `
model "m" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = 50
  stream     = true
  price      = { input = 1, output = 5 }
}
step "s" {
  for_each = toset(["a", "b", "c"])
  model    = model.m
  prompt   = "tell me about ${each.key}"
}
`

// A streamed answer is costed from the usage its stream ends with.
func TestBudgetSettlesStreams(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	client := gateway.New(gateway.Config{BaseURL: srv.URL(), MaxRetries: -1})
	st := state.New()
	plan, path := setup(t, streamedPriced, st)
	limit := 1.0
	res := Run(context.Background(), plan, Options{
		Client: func(*planner.Model) ChatClient { return client }, Store: storeWith(t, st, path), Budget: &limit,
	})
	if res.Called != 3 || res.Diagnostics.HasErrors() {
		t.Fatalf("called %d, diagnostics %q; want 3, none", res.Called, res.Diagnostics.Error())
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for _, rec := range saved.Steps {
		if rec.Usage.OutputTokens == 0 {
			t.Fatalf("no usage recorded: %+v", rec.Usage)
		}
		want += planner.CostOf(rec.Usage, state.Price{Input: 1, Output: 5})
	}
	if !near(res.Budget.Spent, want) {
		t.Errorf("spent %g, want the streams' usage %g", res.Budget.Spent, want)
	}
}

// An offline run costs nothing: the budget does not apply.
func TestOfflineIgnoresBudget(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, forEachPriced(3), st)
	var zero float64
	res := Run(context.Background(), plan, Options{
		Client: func(*planner.Model) ChatClient { return gateway.Offline{} }, Offline: true,
		Store: storeWith(t, st, path), Budget: &zero,
	})
	if res.Called != 3 || res.Budget != nil {
		t.Errorf("called %d, budget use %+v; want 3, none", res.Called, res.Budget)
	}
}

const catalogPriced = `
model "haiku" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = 10
}
step "s" {
  model  = model.haiku
  prompt = "hello"
}
`

// A request is bounded and costed at the catalog tier it is billed at:
// the gateway's region (us, dearer) unless it asks for model_region =
// "global".
func TestBudgetPriceTier(t *testing.T) {
	t.Parallel()
	plan, _ := setup(t, catalogPriced, state.New())
	m := plan.Models["haiku"]
	plan.Catalogs = map[*config.Gateway]*planner.Catalog{m.Gateway: planner.NewCatalog(gatewaytest.DefaultModels(), true)}
	global := ask(m.ID, "hello", 10)
	global.Extra = map[string]json.RawMessage{"model_region": json.RawMessage(`"global"`)}
	cached := ask(m.ID, "hello", 10)
	cached.Messages[0].CacheControl = json.RawMessage(`{"type":"ephemeral"}`)
	tests := map[string]struct {
		req     *gateway.Request
		in, out float64 // the tier's prices
		inBound float64 // the price the input is bounded at
	}{
		"the gateway's region": {req: ask(m.ID, "hello", 10), in: 1.1, out: 5.5, inBound: 1.1},
		"global":               {req: global, in: 1, out: 5, inBound: 1},
		"a cache write":        {req: cached, in: 1.1, out: 5.5, inBound: 1.1 * 1.25},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			limit := 1.0
			b := newBudget(plan, &limit)
			h, err := b.reserve(m, test.req, false)
			if err != nil {
				t.Fatal(err)
			}
			in, _ := inputBound(test.req)
			if want := (float64(in)*test.inBound + 10*test.out) / 1e6; !near(h.bound, want) {
				t.Errorf("bound %g, want %g", h.bound, want)
			}
			b.settle(h, answer(m.ID, 100, 10), nil)
			if want := (100*test.in + 10*test.out) / 1e6; !near(b.spent, want) {
				t.Errorf("spent %g, want %g", b.spent, want)
			}
		})
	}
}
