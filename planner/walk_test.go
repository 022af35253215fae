package planner

import (
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

const walkSrc = `
model "m" { id = "m1" }
locals {
  greeting = "hello"
}
step "a" {
  for_each = toset(["x", "y"])
  model    = model.m
  prompt   = "${local.greeting} ${each.key}"
}
output "shout" {
  value = upper(local.greeting)
}
output "x" {
  value = step.a["x"].output
}
check "calm" {
  assert {
    condition     = true
    error_message = "Too excited."
  }
}
`

// traceOp is a StepOp that notes what the walk hands it.
type traceOp struct{ events []string }

func (o *traceOp) Expanded(n *Node, insts []*Instance, _ hcl.Diagnostics) bool {
	o.events = append(o.events, "expanded "+n.Addr)
	return true
}

func (o *traceOp) Filtered(n *Node, i int, d Decision) bool {
	o.events = append(o.events, "filtered "+n.Addr)
	return true
}

func (o *traceOp) Instance(n *Node, i int, inst *Instance) bool {
	o.events = append(o.events, "instance "+inst.Addr.String())
	return true
}

func (o *traceOp) Done(n *Node) hcl.Diagnostics {
	o.events = append(o.events, "done "+n.Addr)
	return nil
}

// newWalk returns an apply walk over p's graph against st.
func newWalk(p *Plan, st *state.State, op StepOp) *Walk {
	return &Walk{Op: OpApply, Plan: p, Scopes: NewScopes(p), State: st, Filter: p.Filter,
		Outputs: map[string]cty.Value{}, Steps: op}
}

func TestWalkEvaluatesEveryKindOfNode(t *testing.T) {
	p := mustPlan(t, walkSrc, nil, false)
	op := &traceOp{}
	w := newWalk(p, state.New(), op)
	var checks []string
	w.Check = func(_ string, c *config.Check, _ *hcl.EvalContext) { checks = append(checks, c.Name) }
	for _, addr := range p.Graph.Order {
		if diags := w.Evaluator(p.Graph.Nodes[addr]).Eval(w); diags.HasErrors() {
			t.Fatalf("%s: %s", addr, diags.Error())
		}
	}
	if got := w.Outputs["shout"]; !got.RawEquals(cty.StringVal("HELLO")) {
		t.Errorf("output shout = %#v, want HELLO", got)
	}
	if !slices.Equal(checks, []string{"calm"}) {
		t.Errorf("checks evaluated: %q, want [calm]", checks)
	}
	want := []string{"expanded step.a", `instance step.a["x"]`, `instance step.a["y"]`, "done step.a"}
	if !slices.Equal(op.events, want) {
		t.Errorf("step operations:\n%q\nwant\n%q", op.events, want)
	}
}

func TestDecideInstanceValues(t *testing.T) {
	p := mustPlan(t, walkSrc, nil, false)
	st := record(t, p, map[string]string{`step.a["x"]`: "recorded x"}, false)
	w := newWalk(p, st, &traceOp{})
	cx, cy := change(t, p, `step.a["x"]`), change(t, p, `step.a["y"]`)
	inst := func(c *Change) *Instance { return c.Rendered.Instance }
	output := func(d Decision) cty.Value { return d.Value.GetAttr("output") }

	d := w.DecideInstance(Facts{Inst: inst(cx)})
	if !d.Filtered || !output(d).RawEquals(cty.StringVal("recorded x")) {
		t.Errorf("filtered out, recorded: %+v, want its recorded output", d)
	}
	delete(st.Steps, `step.a["y"]`)
	if d := w.DecideInstance(Facts{Inst: inst(cy)}); !d.Filtered || output(d).IsKnown() {
		t.Errorf("filtered out, not recorded: %+v, want an unknown output", d)
	}
	d = w.DecideInstance(Facts{Inst: inst(cx), Rendered: cx.Rendered, Request: cx.Request, Hash: cx.Hash})
	if d.Action != Keep || !output(d).RawEquals(cty.StringVal("recorded x")) {
		t.Errorf("same hash: %s (%s), output %#v; want keep with the recorded output", d.Action, d.Reason, output(d))
	}
	d = w.DecideInstance(Facts{Inst: inst(cx), Rendered: cx.Rendered, Request: cx.Request, Hash: "sha256:other"})
	if d.Action != Rerun || output(d).IsKnown() {
		t.Errorf("changed: %s (%s), output %#v; want rerun with an unknown output", d.Action, d.Reason, output(d))
	}
}
