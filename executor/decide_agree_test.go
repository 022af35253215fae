package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// The configurations of the agreement test: b depends on a; c has two
// instances.
const (
	agreeBase = `
model "m" { id = "m1" }
model "n" { id = "n1" }
step "a" {
  model  = model.m
  prompt = "alpha"
}
step "b" {
  model  = model.m
  prompt = "beta ${step.a.output}"
}
step "c" {
  for_each = toset(["x", "y"])
  model    = model.m
  prompt   = "gamma ${each.key}"
}
`
	agreeOnlyX = `
model "m" { id = "m1" }
step "c" {
  for_each = toset(["x"])
  model    = model.m
  prompt   = "gamma ${each.key}"
}
`
)

// agreeCase is one decision: the state recorded from base (then changed by
// mutate), the configuration planned and applied, and what both must do
// with addr.
type agreeCase struct {
	name     string
	base     string // recorded first with every answer "done"; "" records nothing
	mutate   func(*state.Step)
	current  string
	target   string // a -target address, or ""
	replace  string // a -replace address, or ""
	offline  bool
	answer   string // what the model answers in the run; "done" when ""
	addr     string
	filtered bool // the filter leaves addr out: no change, no call
	action   planner.Action
	reason   string
	applied  string // "called", "reused" or "untouched"
}

var agreeCases = []agreeCase{
	{name: "no record", current: agreeBase, addr: "step.a", action: planner.Run, reason: "new", applied: "called"},
	{name: "same hash", base: agreeBase, current: agreeBase, addr: "step.a", action: planner.Keep, reason: "unchanged", applied: "reused"},
	{name: "prompt changed", base: agreeBase, current: replace(agreeBase, `"alpha"`, `"alpha2"`), addr: "step.a", action: planner.Rerun, reason: "prompt changed", applied: "called"},
	{name: "model changed", base: agreeBase, current: replace(agreeBase, "model  = model.m\n  prompt = \"alpha\"", "model  = model.n\n  prompt = \"alpha\""), addr: "step.a", action: planner.Rerun, reason: "model changed", applied: "called"},
	{name: "parameters changed", base: agreeBase, current: replace(agreeBase, `prompt = "alpha"`, "prompt = \"alpha\"\n  temperature = 0.5"), addr: "step.a", action: planner.Rerun, reason: "parameters changed", applied: "called"},
	{name: "recorded offline, run online", base: agreeBase, mutate: func(s *state.Step) { s.Offline = true }, current: agreeBase, addr: "step.a", action: planner.Rerun, reason: "recorded by the offline model", applied: "called"},
	{name: "recorded offline, run offline", base: agreeBase, mutate: func(s *state.Step) { s.Offline = true }, current: agreeBase, offline: true, addr: "step.a", action: planner.Keep, reason: "unchanged", applied: "reused"},
	{name: "failed postcondition", base: agreeBase, mutate: func(s *state.Step) { s.Failed = "postcondition: too short" }, current: agreeBase, addr: "step.a", action: planner.Rerun, reason: "failed a postcondition", applied: "called"},
	{name: "failed last time", base: agreeBase, mutate: func(s *state.Step) { s.Failed = "no answer" }, current: agreeBase, addr: "step.a", action: planner.Rerun, reason: "failed last time", applied: "called"},
	{name: "-replace", base: agreeBase, current: agreeBase, replace: "step.a", addr: "step.a", action: planner.Rerun, reason: "-replace", applied: "called"},
	{name: "-replace without record", current: agreeBase, replace: "step.a", addr: "step.a", action: planner.Run, reason: "new", applied: "called"},
	{name: "filtered out, recorded", base: agreeBase, current: agreeBase, target: `step.c["x"]`, addr: `step.c["y"]`, filtered: true, applied: "untouched"},
	{name: "filtered out, not recorded", base: agreeOnlyX, current: agreeBase, target: `step.c["x"]`, addr: `step.c["y"]`, filtered: true, applied: "untouched"},
	{name: "unknown upstream, same answer", base: agreeBase, current: replace(agreeBase, `"alpha"`, `"alpha2"`), addr: "step.b", action: planner.RunIfChanged, reason: "upstream step.a will run", applied: "reused"},
	{name: "unknown upstream, new answer", base: agreeBase, current: replace(agreeBase, `"alpha"`, `"alpha2"`), answer: "other", addr: "step.b", action: planner.RunIfChanged, reason: "upstream step.a will run", applied: "called"},
	{name: "unknown upstream, -replace", base: agreeBase, current: replace(agreeBase, `"alpha"`, `"alpha2"`), replace: "step.b", addr: "step.b", action: planner.Rerun, reason: "-replace", applied: "called"},
}

// TestPlanAndApplyAgreeOnEveryDecision plans and applies the same
// configuration against the same state and checks that the plan's action
// for an instance is what the apply did with it.
func TestPlanAndApplyAgreeOnEveryDecision(t *testing.T) {
	t.Parallel()
	for _, tc := range agreeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := state.New()
			if tc.base != "" {
				st = record(t, tc.base)
			}
			if tc.mutate != nil {
				tc.mutate(st.Steps[tc.addr])
			}
			plan, dir := planAgree(t, tc, st)
			c := changeOf(plan, tc.addr)
			switch {
			case tc.filtered && c != nil:
				t.Errorf("plan: %s %s (%s), want no change: the filter leaves it out", c.Action, tc.addr, c.Reason)
			case !tc.filtered && c == nil:
				t.Fatalf("plan: no change for %s", tc.addr)
			case !tc.filtered && (c.Action != tc.action || c.Reason != tc.reason):
				t.Errorf("plan: %s (%s), want %s (%s)", c.Action, c.Reason, tc.action, tc.reason)
			}
			got := applyAgree(t, tc, plan, st, dir)[tc.addr]
			if got == "" {
				got = "untouched"
			}
			if got != tc.applied {
				t.Errorf("apply: %s, want %s", got, tc.applied)
			}
			if !tc.filtered && !agrees(tc.action, got) {
				t.Errorf("apply %s what the plan marked %s", got, tc.action)
			}
		})
	}
}

// agrees reports whether what the apply did is what the plan's action says.
func agrees(a planner.Action, applied string) bool {
	switch a {
	case planner.Keep:
		return applied == "reused"
	case planner.RunIfChanged:
		return applied == "reused" || applied == "called"
	}
	return applied == "called"
}

func replace(src, old, new string) string { return strings.Replace(src, old, new, 1) }

// loadSrc writes src as a configuration and loads it.
func loadSrc(t *testing.T, src string) (*config.Config, map[string]cty.Value) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := config.NewParser()
	cfg, diags := p.LoadDir(dir)
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	vars, diags := p.CollectVariables(cfg, nil, nil)
	if diags.HasErrors() {
		t.Fatalf("vars: %s", diags.Error())
	}
	return cfg, vars
}

// record applies src to an empty state, every answer "done", and returns
// the state it recorded.
func record(t *testing.T, src string) *state.State {
	t.Helper()
	cfg, vars := loadSrc(t, src)
	plan, diags := planner.Build(cfg, planner.Options{Vars: vars})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	sc := &scriptedClient{}
	res := Run(context.Background(), plan, Options{Client: func(*planner.Model) ChatClient { return sc },
		Store: storeWith(t, state.New(), state.Path(cfg.Dir))})
	if res.Diagnostics.HasErrors() {
		t.Fatalf("record: %s", res.Diagnostics.Error())
	}
	st, _, err := state.Read(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// planAgree plans the case's configuration against st.
func planAgree(t *testing.T, tc agreeCase, st *state.State) (*planner.Plan, string) {
	t.Helper()
	cfg, vars := loadSrc(t, tc.current)
	filter := &planner.Filter{}
	for _, sel := range []struct {
		text string
		list *[]planner.Selector
	}{{tc.target, &filter.Targets}, {tc.replace, &filter.Replace}} {
		if sel.text != "" {
			s, err := planner.ParseSelector(sel.text)
			if err != nil {
				t.Fatal(err)
			}
			*sel.list = append(*sel.list, s)
		}
	}
	plan, diags := planner.Build(cfg, planner.Options{Vars: vars, State: st, Offline: tc.offline, Filter: filter})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	return plan, cfg.Dir
}

// applyAgree applies the plan and returns what it did with each instance.
func applyAgree(t *testing.T, tc agreeCase, plan *planner.Plan, st *state.State, dir string) map[string]string {
	t.Helper()
	answer := tc.answer
	if answer == "" {
		answer = "done"
	}
	sc := &scriptedClient{responses: []*gateway.Response{textAnswer(answer), textAnswer(answer), textAnswer(answer)}}
	hook := &outcomeHook{did: map[string]string{}}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Offline: tc.offline, Hook: hook,
		Client: func(*planner.Model) ChatClient { return sc }, Store: storeWith(t, st, state.Path(dir))})
	if res.Diagnostics.HasErrors() {
		t.Fatalf("apply: %s", res.Diagnostics.Error())
	}
	return hook.did
}

func changeOf(p *planner.Plan, addr string) *planner.Change {
	for _, c := range p.Changes {
		if c.Address == addr {
			return c
		}
	}
	return nil
}

// outcomeHook records whether each instance was called or reused.
type outcomeHook struct {
	NopHook
	mu  sync.Mutex
	did map[string]string
}

func (h *outcomeHook) StepFinished(addr string, _ *state.Step, reused bool, _ time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.did[addr] = map[bool]string{true: "reused", false: "called"}[reused]
}

func (h *outcomeHook) StepFailed(addr string, _ *state.Step, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.did[addr] = "failed: " + err.Error()
}
