package executor

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
)

// start evaluates a node whose dependencies have all finished, through
// the node's planner.Evaluator: the same evaluation the plan made, with
// applyOp as its step operation. A node the plan's filter leaves out
// finishes at once, silently: nothing that runs depends on it. A step
// whose calls are queued finishes when the last of them does.
func (s *scheduler) start(n *nodeRun) {
	if !s.plan.Filter.Runs(n.node.Addr) {
		s.finishNode(n)
		return
	}
	if cause := s.blocked(n); cause != "" {
		s.skip(n, cause)
		return
	}
	diags := s.walk.Evaluator(n.node).Eval(s.walk)
	s.addDiags(diags)
	n.failed = n.failed || diags.HasErrors()
	if n.pending == 0 {
		s.complete(n, nil)
	}
}

// check evaluates a check block and reports its result; a failed
// assertion is a warning, and the check's node does not fail.
func (s *scheduler) check(addr string, c *config.Check, ctx *hcl.EvalContext) {
	messages, diags := evalCheck(c, ctx)
	s.addDiags(diags)
	s.opts.Hook.CheckResult(addr, len(messages) == 0, messages)
}

// blocked returns why a node cannot run, or "".
func (s *scheduler) blocked(n *nodeRun) string {
	for _, d := range n.node.Deps {
		if s.nodes[d].failed {
			return d + " did not finish"
		}
	}
	if s.res.Halted != "" && n.node.Kind == planner.KindStep {
		return s.res.Halted
	}
	if s.ctx.Err() != nil && n.node.Kind == planner.KindStep {
		s.res.Interrupted = true
		return "interrupted"
	}
	return ""
}

// applyOp is the planner.StepOp of an apply: a step's instances are
// decided as the plan decided them, the recorded ones re-used at once and
// the others queued as calls for the runner.
type applyOp struct{ s *scheduler }

// Expanded begins a step's progress; a step that cannot be expanded fails.
func (o applyOp) Expanded(node *planner.Node, insts []*planner.Instance, diags hcl.Diagnostics) bool {
	if diags.HasErrors() {
		return false
	}
	n := o.s.nodes[node.Addr]
	n.insts, n.vals, n.over, n.pending = insts, make([]cty.Value, len(insts)), make([]bool, len(insts)), len(insts)
	return true
}

// Filtered finishes an instance the filter leaves out with its value.
func (o applyOp) Filtered(node *planner.Node, i int, d planner.Decision) bool {
	n := o.s.nodes[node.Addr]
	n.vals[i] = d.Value
	n.settle(i)
	return true
}

// Instance re-uses or queues one instance.
func (o applyOp) Instance(node *planner.Node, i int, inst *planner.Instance) bool {
	n := o.s.nodes[node.Addr]
	j, diags := o.s.prepare(n, i, inst)
	o.s.addDiags(diags)
	if j != nil {
		o.s.queue = append(o.s.queue, j)
	}
	return true
}

// Done keeps the queue in graph order.
func (o applyOp) Done(*planner.Node) hcl.Diagnostics {
	q := o.s.queue
	sort.SliceStable(q, func(i, j int) bool { return q[i].node.order < q[j].node.order })
	return nil
}

// prepare renders an instance's request and decides it with
// planner.Walk.DecideInstance, as the plan did. A kept instance re-uses
// its record at once (nil job); otherwise the job to run is returned.
func (s *scheduler) prepare(n *nodeRun, i int, inst *planner.Instance) (*job, hcl.Diagnostics) {
	pc := s.planned[inst.Address()]
	if s.allKept && keptAsPlanned(inst, pc) {
		// Nothing runs, so every value is what the plan saw: the plan's
		// decision stands, without rendering the request again.
		s.res.Reused++
		s.opts.Hook.StepFinished(inst.Address(), pc.Prior, true, 0)
		n.vals[i] = s.plan.UnknownStep(inst.Step)
		if s.plan.Graph.Used(n.node.Addr) {
			n.vals[i] = s.plan.StepValue(inst.Step, pc.Prior)
		}
		n.settle(i)
		return nil, nil
	}
	scope := s.walk.ScopeOf(n.node.Mod)
	rendered := plannedRender(pc)
	if rendered == nil {
		var diags hcl.Diagnostics
		if rendered, diags = s.plan.Render(inst, n.node.Refs, scope); diags.HasErrors() {
			s.instanceFailed(n, i, nil)
			for _, d := range diags {
				d.Detail = inst.Address() + ": " + d.Detail // said of the instance, as its other failures are
			}
			return nil, diags
		}
	}
	rd := newRedactor(s.secrets, rendered)
	c, err := newCall(rendered, rd, s.schemas, pc)
	if err != nil {
		return nil, s.instanceFailed(n, i, rd.error(fmt.Errorf("cannot encode request: %w", err)))
	}
	c.prices, c.used = s.plan, s.plan.Graph.Used(n.node.Addr)
	if len(inst.Step.Postconditions)+len(inst.Step.Asserts) > 0 {
		c.conds = scope.EvalContext(n.node.Refs, inst.Rep)
	}
	d := s.walk.DecideInstance(planner.Facts{Inst: inst, Rendered: rendered, Request: c.req, Hash: c.hash,
		Conds: c.conds, Redact: c.redact.text})
	if d.Action == planner.Keep {
		s.res.Reused++
		rec := d.Prior
		switch {
		case d.Rescored != nil && s.recordOrHalt(d.Rescored) == nil:
			rec = d.Rescored // scored again without a call
		case d.Rescored == nil && d.Cached:
			s.recordOrHalt(rec) // the shared cache's answer, at this address
		}
		s.opts.Hook.StepFinished(inst.Address(), rec, true, 0)
		n.vals[i] = d.Value
		n.settle(i)
		return nil, nil
	}
	return &job{call: c, node: n, index: i}, nil
}

// plannedRender is the request the plan rendered for an instance when it
// rendered it whole: everything it depends on was known then and is the
// same now, so rendering it again would give the same request. Nil when
// the plan did not know it.
func plannedRender(pc *planner.Change) *planner.Rendered {
	if pc == nil || pc.Rendered == nil || !pc.Rendered.Known {
		return nil
	}
	return pc.Rendered
}

// keptAsPlanned reports whether the plan kept the instance with its
// record as it is: not from the shared cache (apply records those) and
// with no asserts to score again.
func keptAsPlanned(inst *planner.Instance, pc *planner.Change) bool {
	return pc != nil && pc.Action == planner.Keep && !pc.Cached && pc.Prior != nil &&
		len(inst.Step.Asserts) == 0 && len(pc.Prior.Asserts) == 0
}

// complete finishes a node and makes its dependents ready.
func (s *scheduler) complete(n *nodeRun, diags hcl.Diagnostics) {
	s.addDiags(diags)
	n.failed = n.failed || diags.HasErrors()
	if n.node.Kind == planner.KindStep && !n.failed {
		s.walk.ExposeStep(n.node, n.insts, n.vals)
	}
	s.finishNode(n)
}

func (s *scheduler) finishNode(n *nodeRun) {
	n.finished = true
	for _, d := range s.deps[n.node.Addr] {
		dn := s.nodes[d]
		dn.waiting--
		if dn.waiting == 0 {
			s.ready = append(s.ready, dn)
		}
	}
}

// skip finishes a node that does not run, or not to the end: each of its
// instances that has not finished is reported skipped.
func (s *scheduler) skip(n *nodeRun, cause string) {
	n.failed = true
	if n.node.Kind == planner.KindCheck {
		s.opts.Hook.CheckResult(n.node.Addr, false, []string{"not evaluated: " + cause})
	}
	if n.node.Kind == planner.KindStep {
		for _, addr := range s.unfinished(n) {
			s.res.Skipped++
			s.opts.Hook.StepSkipped(addr, cause)
		}
	}
	s.finishNode(n)
}

// unfinished lists the instance addresses of a step that have not finished:
// of its expansion when it was expanded, else as the plan expected them.
func (s *scheduler) unfinished(n *nodeRun) []string {
	var out []string
	if n.insts != nil {
		for i, inst := range n.insts {
			if !n.over[i] {
				out = append(out, inst.Address())
			}
		}
		return out
	}
	for _, c := range s.plan.Changes {
		if c.Action != planner.Drop && c.Addr.Step.String() == n.node.Addr {
			out = append(out, c.Address)
		}
	}
	if len(out) == 0 {
		out = append(out, n.node.Addr)
	}
	return out
}

func (s *scheduler) addDiags(diags hcl.Diagnostics) {
	s.res.Diagnostics = append(s.res.Diagnostics, diags...)
}

// finish removes dropped instances, records outputs and folds the
// journal into the state file.
func (s *scheduler) finish() {
	store := s.opts.Store
	var errs []error
	for _, c := range s.plan.Changes {
		if c.Action == planner.Drop && !s.res.Interrupted && !s.plan.Filter.Active() {
			errs = append(errs, store.Remove(c.Address))
		}
	}
	for name, v := range s.res.Outputs {
		if !v.IsWhollyKnown() {
			delete(s.res.Outputs, name) // its evaluation failed; the error says why
		}
	}
	if next, changed := outputsToRecord(s.st, s.plan, s.res.Outputs); changed {
		errs = append(errs, store.SetOutputs(next))
	}
	if store.Pending() > 0 {
		errs = append(errs, store.Commit())
	}
	for _, err := range errs {
		if err != nil {
			s.addDiags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot save state", Detail: err.Error()}})
		}
	}
	config.SortDiagnostics(s.res.Diagnostics)
}
