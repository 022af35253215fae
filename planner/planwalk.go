package planner

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// walk plans every node the filter lets through, in graph order. The
// returned op's stop is set when an interrupt stopped it.
func (p *Plan) walk(opts Options, st *state.State) (*planOp, hcl.Diagnostics) {
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	w := &Walk{Op: OpPlan, Plan: p, Scopes: NewScopes(p), State: st, Filter: p.Filter, Offline: p.Offline, Outputs: p.Outputs}
	op := &planOp{w: w, ctx: ctx, willRun: map[string]bool{}, seen: map[string]bool{}}
	w.Steps = op
	var diags hcl.Diagnostics
	// A node whose dependency failed is not evaluated: its errors would
	// only repeat that one's with unknown values.
	failed := map[string]bool{}
	for _, addr := range p.Graph.Order {
		n := p.Graph.Nodes[addr]
		if !p.Filter.Runs(addr) {
			continue
		}
		if slices.ContainsFunc(n.Deps, func(d string) bool { return failed[d] }) {
			failed[addr] = true
			continue
		}
		if op.stop = interrupted(ctx); op.stop != nil {
			return op, nil
		}
		d := w.Evaluator(n).Eval(w)
		failed[addr] = d.HasErrors()
		diags = append(diags, d...)
		if op.stop != nil {
			return op, nil
		}
	}
	return op, diags
}

// planOp is the StepOp of a plan: it renders every instance, decides it
// and records its change. It stops the walk when the context is done.
type planOp struct {
	w       *Walk
	ctx     context.Context
	willRun map[string]bool // steps with an instance that will run
	seen    map[string]bool // instance addresses in the configuration
	stop    hcl.Diagnostics // the interrupt that stopped the walk
	// the step being planned
	insts     []*Instance
	vals      []cty.Value
	diags     hcl.Diagnostics
	instDiags instanceDiags
	upstream  string     // why its requests not known yet may change: the same for every instance
	pre       []prepared // the step's instances planned ahead, or nil
}

// done reports whether ctx is done, without counting as a check of its
// error: the walk checks that before each instance, in order.
func done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// prepared is an instance planned ahead of its turn (see prepare).
type prepared struct {
	c     *plannedInstance
	diags hcl.Diagnostics
	done  bool
}

// parallelFrom is how many instances a step needs for them to be planned
// on every processor at once.
var parallelFrom = 256

// prepare plans a step's instances that runs selects ahead of their turn,
// on every processor at once: rendering, hashing and deciding an instance
// reads the scopes, the state and the plan and writes only its own result.
// Instance then takes each in order, as it would have planned it.
func (o *planOp) prepare(n *Node, insts []*Instance, runs func(*Instance) bool) {
	o.pre = nil
	workers := runtime.GOMAXPROCS(0)
	if len(insts) < parallelFrom || workers < 2 {
		return
	}
	pre := make([]prepared, len(insts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(insts) || done(o.ctx) {
					return
				}
				if runs(insts[i]) {
					c, d := o.planInstance(n, insts[i])
					pre[i] = prepared{c: c, diags: d, done: true}
				}
			}
		})
	}
	wg.Wait()
	o.pre = pre
}

func (o *planOp) Expanded(n *Node, insts []*Instance, diags hcl.Diagnostics) bool {
	for _, inst := range insts {
		o.w.Plan.expanded = append(o.w.Plan.expanded, inst.Addr)
	}
	o.insts, o.vals, o.diags = insts, make([]cty.Value, len(insts)), diags
	o.instDiags = instanceDiags{step: n.Addr}
	o.upstream = upstreamReason(o.w.Plan.Graph, n, o.willRun)
	return true
}

// next checks for an interrupt before instance i and marks it seen.
func (o *planOp) next(i int) bool {
	if o.stop = interrupted(o.ctx); o.stop != nil {
		return false
	}
	o.seen[o.insts[i].Address()] = true
	return true
}

func (o *planOp) Filtered(n *Node, i int, d Decision) bool {
	if !o.next(i) {
		return false
	}
	o.vals[i] = d.Value
	return true
}

func (o *planOp) Instance(n *Node, i int, inst *Instance) bool {
	if !o.next(i) {
		return false
	}
	o.vals[i] = o.w.Plan.UnknownStep(inst.Step)
	var c *plannedInstance
	var d hcl.Diagnostics
	if i < len(o.pre) && o.pre[i].done {
		c, d = o.pre[i].c, o.pre[i].diags
	} else {
		c, d = o.planInstance(n, inst)
	}
	o.instDiags.add(inst, d)
	if c == nil {
		return true
	}
	o.w.Plan.Changes = append(o.w.Plan.Changes, c.change)
	o.vals[i] = c.Value
	if c.Action != Keep {
		o.willRun[n.Addr] = true
	}
	return true
}

// Done exposes the step's value: unknown when it could not be planned
// precisely, for its dependents to be planned with unknowns.
func (o *planOp) Done(n *Node) hcl.Diagnostics {
	diags := append(o.diags, o.instDiags.diagnostics()...)
	if diags.HasErrors() {
		o.w.ScopeOf(n.Mod).SetStep(n.Name, cty.DynamicVal)
		return diags
	}
	o.w.ExposeStep(n, o.insts, o.vals)
	return diags
}

// plannedInstance is an instance's change with its decision.
type plannedInstance struct {
	Decision
	change *Change
}

// planInstance renders an instance, checks its conditions and decides it.
func (o *planOp) planInstance(n *Node, inst *Instance) (*plannedInstance, hcl.Diagnostics) {
	p := o.w.Plan
	scope := o.w.ScopeOf(n.Mod)
	r, diags := p.Render(inst, n.Refs, scope)
	diags = append(diags, p.checkConditions(inst, n, scope)...)
	if diags.HasErrors() {
		return nil, diags
	}
	f := Facts{Inst: inst, Rendered: r, Upstream: o.upstream}
	if len(inst.Step.Asserts) > 0 {
		f.Conds = scope.EvalContext(n.Refs, inst.Rep)
	}
	var canonical []byte
	if r.Known {
		var err error
		if f.Request, err = r.Request(); err == nil {
			f.Hash, canonical, err = Hash(f.Request)
			f.Hash = SampleHash(f.Hash, inst.Addr.Sample)
		}
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot encode request", Detail: err.Error(), Subject: inst.Step.DeclRange.Ptr()})
		}
	}
	d := o.w.DecideInstance(f)
	c := &Change{Address: inst.Address(), Addr: inst.Addr, Action: d.Action, Reason: d.Reason, Rendered: r, Request: f.Request, Hash: f.Hash, Canonical: canonical, Prior: d.Prior, Cached: d.Cached}
	return &plannedInstance{Decision: d, change: c}, diags
}

// upstreamReason names the upstream steps that will run: the node's own
// dependencies, and through locals, module variables and outputs, the
// steps behind them.
func upstreamReason(g *Graph, n *Node, willRun map[string]bool) string {
	var names []string
	seen := map[string]bool{}
	var visit func(deps []string)
	visit = func(deps []string) {
		for _, d := range deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			switch dn := g.Nodes[d]; {
			case dn == nil:
			case dn.Kind == KindStep:
				if willRun[d] {
					names = append(names, d)
				}
			case dn.Kind == KindVar || dn.Kind == KindOutput && dn.Mod != n.Mod:
				visit(dn.Deps)
			}
		}
	}
	visit(n.Deps)
	if len(names) == 0 {
		return "inputs known after apply"
	}
	slices.Sort(names)
	return "upstream " + strings.Join(names, ", ") + " will run"
}
