package executor

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
)

// start evaluates a node whose dependencies have all finished. A node the
// plan's filter leaves out finishes at once, silently: nothing that runs
// depends on it.
func (s *scheduler) start(n *nodeRun) {
	if !s.plan.Filter.Runs(n.node.Addr) {
		s.finishNode(n)
		return
	}
	if cause := s.blocked(n); cause != "" {
		s.skip(n, cause)
		return
	}
	cfg := s.plan.Config
	ctx := s.scope.EvalContext(n.node.Refs, planner.Repetition{})
	switch n.node.Kind {
	case planner.KindLocal:
		v, diags := cfg.Locals[n.node.Name].Expr.Value(ctx)
		s.scope.SetLocal(n.node.Name, v)
		s.complete(n, diags)
	case planner.KindOutput:
		v, diags := planner.OutputValue(cfg.Outputs[n.node.Name], ctx)
		s.res.Outputs[n.node.Name] = v
		s.complete(n, diags)
	case planner.KindCheck:
		check := cfg.Checks[n.node.Name]
		messages, diags := evalCheck(check, ctx)
		s.addDiags(diags)
		s.opts.Hook.CheckResult(check.Name, len(messages) == 0, messages)
		s.complete(n, nil)
	case planner.KindStep:
		s.startStep(n)
	}
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

// startStep expands a step, re-uses what is recorded and queues the rest.
func (s *scheduler) startStep(n *nodeRun) {
	step := s.plan.Config.Steps[n.node.Name]
	insts, diags := planner.Expand(step, n.node.Refs, s.scope)
	if diags.HasErrors() {
		s.complete(n, diags)
		return
	}
	n.insts, n.vals, n.over, n.pending = insts, make([]cty.Value, len(insts)), make([]bool, len(insts)), len(insts)
	for i, inst := range insts {
		if !s.plan.Filter.RunsInstance(inst.Addr) {
			n.vals[i] = s.plan.UnknownStep(step)
			if prior := s.st.Steps[inst.Addr.String()]; prior != nil {
				n.vals[i] = s.plan.StepValue(step, prior)
			}
			n.settle(i)
			continue
		}
		j, d := s.prepare(n, i, inst)
		diags = append(diags, d...)
		if j != nil {
			s.queue = append(s.queue, j)
		}
	}
	sort.SliceStable(s.queue, func(i, j int) bool { return s.queue[i].node.order < s.queue[j].node.order })
	s.addDiags(diags)
	if n.pending == 0 {
		s.complete(n, nil)
	}
}

// prepare renders an instance's request. A recorded identical request is
// re-used at once (nil job); otherwise the job to run is returned.
func (s *scheduler) prepare(n *nodeRun, i int, inst *planner.Instance) (*job, hcl.Diagnostics) {
	rendered, diags := s.plan.Render(inst, n.node.Refs, s.scope)
	if diags.HasErrors() {
		s.instanceFailed(n, i, nil)
		return nil, diags
	}
	rd := newRedactor(s.secrets, rendered)
	c, err := newCall(rendered, rd, s.schemas)
	if err != nil {
		return nil, s.instanceFailed(n, i, rd.error(fmt.Errorf("cannot encode request: %w", err)))
	}
	addr := inst.Addr.String()
	prior := s.st.Steps[addr]
	if action, _ := planner.Decide(prior, c.hash, c.req, s.opts.Offline); action == planner.Keep && !s.plan.Filter.Replaced(inst.Addr) {
		s.res.Reused++
		s.opts.Hook.StepFinished(addr, prior, true, 0)
		n.vals[i] = s.plan.StepValue(inst.Step, prior)
		n.settle(i)
		return nil, nil
	}
	if len(inst.Step.Postconditions) > 0 {
		c.conds = s.scope.EvalContext(n.node.Refs, inst.Rep)
	}
	return &job{call: c, node: n, index: i}, nil
}

// complete finishes a node and makes its dependents ready.
func (s *scheduler) complete(n *nodeRun, diags hcl.Diagnostics) {
	s.addDiags(diags)
	n.failed = n.failed || diags.HasErrors()
	if n.node.Kind == planner.KindStep && !n.failed {
		step := s.plan.Config.Steps[n.node.Name]
		s.scope.SetStep(n.node.Name, planner.InstancesValue(step, n.insts, n.vals))
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
		s.opts.Hook.CheckResult(n.node.Name, false, []string{"not evaluated: " + cause})
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
				out = append(out, inst.Addr.String())
			}
		}
		return out
	}
	for _, c := range s.plan.Changes {
		if c.Action != planner.Drop && c.Addr.Step.Name == n.node.Name {
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
