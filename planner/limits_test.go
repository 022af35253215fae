package planner

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const limitsModel = "model \"m\" {\n  id = \"m1\"\n}\n"

func TestCountLimits(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		count  string
		detail string // a substring of the one diagnostic's detail
	}{
		"far too many":       {count: "1e18", detail: "1000000000000000000 instances; a step may have at most 100000"},
		"one too many":       {count: "100001", detail: "100001 instances; a step may have at most 100000"},
		"beyond float range": {count: "1e400", detail: "1e+400 instances"},
		"negative":           {count: "-1", detail: "zero or more, not -1"},
		"huge negative":      {count: "-1e30", detail: "zero or more, not -1e+30"},
		"fractional":         {count: "2.5", detail: "whole number, not 2.5"},
		"tiny fraction":      {count: "1e-30", detail: "whole number, not 1e-30"},
		"huge from a string": {count: "\"5e9\"", detail: "5000000000 instances"},
		"null":               {count: "null", detail: "must not be null"},
		"a list":             {count: "[1]", detail: "whole number"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := limitsModel + "step \"a\" {\n  model  = model.m\n  prompt = \"x\"\n  count  = " + tc.count + "\n}\n"
			_, diags := Build(loadSrc(t, src, nil), Options{})
			if len(diags) != 1 || diags[0].Summary != "Invalid count argument" || !strings.Contains(diags[0].Detail, tc.detail) {
				t.Fatalf("wrong diagnostics\ngot:\n%swant: one Invalid count argument containing %q", diagsText(diags), tc.detail)
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 7 || s.Start.Column != 12 {
				t.Errorf("the error is not on the count expression (line 7, column 12): %v", s)
			}
		})
	}
}

func TestCountAtTheLimit(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, limitsModel+"step \"a\" {\n  model  = model.m\n  prompt = \"x\"\n  count  = 100000\n}\n", nil)
	g, diags := BuildGraph(cfg, nil)
	if diags.HasErrors() {
		t.Fatal(diagsText(diags))
	}
	insts, diags := Expand(nil, cfg.Steps["a"], g.Nodes["step.a"].Refs, NewScope(cfg, nil))
	if len(diags) > 0 || len(insts) != MaxInstances {
		t.Fatalf("got %d instances and diagnostics:\n%s\nwant %d and none", len(insts), diagsText(diags), MaxInstances)
	}
	if last := insts[len(insts)-1].Addr.String(); last != "step.a[99999]" {
		t.Errorf("wrong last instance\ngot:  %s\nwant: step.a[99999]", last)
	}
}

func TestForEachLimit(t *testing.T) {
	t.Parallel()
	keys := make([]cty.Value, MaxInstances+1)
	for i := range keys {
		keys[i] = cty.StringVal(fmt.Sprint(i))
	}
	m := make(map[string]cty.Value, len(keys))
	for _, k := range keys {
		m[k.AsString()] = cty.True
	}
	tests := map[string]cty.Value{"set": cty.SetVal(keys), "map": cty.MapVal(m)}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := "variable \"keys\" {}\n" + limitsModel + "step \"a\" {\n  model    = model.m\n  prompt   = each.key\n  for_each = var.keys\n}\n"
			_, diags := Build(loadSrc(t, src, nil), Options{Vars: map[string]cty.Value{"keys": v}})
			if len(diags) != 1 || diags[0].Summary != "Invalid for_each argument" ||
				!strings.Contains(diags[0].Detail, "100001 elements; a step may have at most 100000 instances") {
				t.Fatalf("wrong diagnostics\ngot:\n%swant: one Invalid for_each argument about the limit", diagsText(diags))
			}
			if s := diags[0].Subject; s == nil || s.Start.Line != 8 {
				t.Errorf("the error is not on the for_each expression (line 8): %v", s)
			}
		})
	}
}

// countdown is a context that is cancelled after its Err method has been
// called a number of times: planning checks it between steps and between
// instances.
type countdown struct {
	context.Context
	left  atomic.Int64
	calls atomic.Int64
}

func (c *countdown) Err() error {
	c.calls.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestBuildInterrupted(t *testing.T) {
	t.Parallel()
	src := limitsModel + "step \"a\" {\n  model  = model.m\n  prompt = \"x${count.index}\"\n  count  = 1000\n}\n" +
		"step \"b\" {\n  model  = model.m\n  prompt = step.a[0].output\n}\n"
	for _, after := range []int64{0, 1, 5, 500} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			t.Parallel()
			ctx := &countdown{Context: context.Background()}
			ctx.left.Store(after)
			p, diags := Build(loadSrc(t, src, nil), Options{Context: ctx})
			if p != nil || len(diags) != 1 || diags[0].Summary != "Planning interrupted" || diags[0].Severity != hcl.DiagError {
				t.Fatalf("got a plan (%v) and diagnostics:\n%swant no plan and one Planning interrupted", p != nil, diagsText(diags))
			}
			if calls := ctx.calls.Load(); calls != after+1 {
				t.Errorf("planning went on after the interrupt: the context was checked %d times, want %d", calls, after+1)
			}
		})
	}
}

func TestBuildNotInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	src := limitsModel + "step \"a\" {\n  model  = model.m\n  prompt = \"x${count.index}\"\n  count  = 3\n}\n"
	p, diags := Build(loadSrc(t, src, nil), Options{Context: ctx})
	if len(diags) > 0 || p == nil || len(p.Changes) != 3 {
		t.Fatalf("unexpected result: plan %v, diagnostics:\n%s", p != nil, diagsText(diags))
	}
}
