package planner

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// Op is the operation of a walk of the graph.
type Op int

// The operations: planning renders and decides; applying also runs.
const (
	OpPlan Op = iota
	OpApply
)

// String names the operation.
func (o Op) String() string { return [...]string{"plan", "apply"}[o] }

// Walk is one walk of the dependency graph, by Build (OpPlan) or by the
// executor's scheduler (OpApply): what every node evaluates itself in.
// Both walk the same nodes with the same Evaluators, so that locals,
// outputs, checks, expansion, the filter and the per-instance decision
// are the same in plan and apply; what differs is the walk's StepOp (what
// is done with a step's instances) and Check (whether checks run).
type Walk struct {
	Op   Op
	Plan *Plan // the plan being built (OpPlan) or applied (OpApply)
	// Scopes holds the scope of every module instance; NewScopes makes
	// them for a walk.
	Scopes map[*ModuleInstance]*Scope
	State  *state.State // the recorded state the walk compares against
	// Filter is the plan's -target, -exclude and -replace; never nil.
	Filter *Filter
	// Offline keeps responses the offline model recorded.
	Offline bool
	// Outputs receives the value of every output evaluated.
	Outputs map[string]cty.Value
	// Check evaluates a check and reports its result; nil when the walk
	// does not evaluate checks (a plan).
	Check func(addr string, c *config.Check, ctx *hcl.EvalContext)
	// Steps does the operation's part of every step's instances.
	Steps StepOp
}

// StepOp is what a walk's operation does with the instances of a step:
// plan renders each one and records its change; apply renders it, re-uses
// what is recorded and queues the calls. Both decide each instance with
// Walk.DecideInstance.
type StepOp interface {
	// Expanded begins a step with its instances and Expand's
	// diagnostics. It returns false to end the step's evaluation there.
	Expanded(n *Node, insts []*Instance, diags hcl.Diagnostics) bool
	// Filtered takes in instance i, which the filter leaves out: d holds
	// the value its dependents see. It returns false to stop the walk.
	Filtered(n *Node, i int, d Decision) bool
	// Instance renders and decides instance i. It returns false to stop
	// the walk.
	Instance(n *Node, i int, inst *Instance) bool
	// Done ends the step's evaluation and returns its diagnostics.
	Done(n *Node) hcl.Diagnostics
}

// Evaluator is a graph node that evaluates itself for a walk.
type Evaluator interface {
	Eval(w *Walk) hcl.Diagnostics
}

// Evaluator returns the evaluator of a node of the walk's graph.
func (w *Walk) Evaluator(n *Node) Evaluator {
	switch n.Kind {
	case KindLocal:
		return localNode{n}
	case KindOutput:
		return outputNode{n}
	case KindCheck:
		return checkNode{n}
	case KindVar:
		return varNode{n}
	}
	return stepNode{n}
}

// ExposeStep sets what dependents see of a step whose instances (every
// sample of each, with repeat) have all finished: its instance values as
// one value, each with its samples.
func (w *Walk) ExposeStep(n *Node, insts []*Instance, vals []cty.Value) {
	insts, vals = withSamples(insts, vals)
	w.ScopeOf(n.Mod).SetStep(n.Name, InstancesValue(n.Mod.Config.Steps[n.Name], insts, vals))
}

// ScopeOf returns the scope of a module instance in the walk.
func (w *Walk) ScopeOf(mi *ModuleInstance) *Scope { return w.Scopes[mi] }

// NewScopes returns a fresh scope for every module instance of the plan's
// graph, each holding its variables as known before any step runs.
func NewScopes(p *Plan) map[*ModuleInstance]*Scope {
	scopes := make(map[*ModuleInstance]*Scope, len(p.Graph.Modules))
	for _, mi := range p.Graph.Modules {
		scopes[mi] = newModuleScope(mi, nil)
		scopes[mi].ws = p.Workspace
	}
	return scopes
}
