package planner

import (
	"github.com/hashicorp/hcl/v2"
)

// localNode is a local value: its expression, evaluated into the scope.
type localNode struct{ *Node }

// Eval evaluates the local into the walk's scope.
func (n localNode) Eval(w *Walk) hcl.Diagnostics {
	scope := w.ScopeOf(n.Mod)
	v, diags := n.Mod.Config.Locals[n.Name].Expr.Value(scope.EvalContext(n.Refs, Repetition{}))
	scope.SetLocal(n.Name, v)
	return diags
}

// outputNode is an output: its value, with its preconditions checked.
type outputNode struct{ *Node }

// Eval evaluates the output into the walk's outputs; the output of a
// module goes to its caller's scope, as module.NAME.OUTPUT.
// A failed precondition keeps the value: it is recorded, and the error
// says which gate it did not pass.
func (n outputNode) Eval(w *Walk) hcl.Diagnostics {
	o := n.Mod.Config.Outputs[n.Name]
	ctx := w.ScopeOf(n.Mod).EvalContext(n.Refs, Repetition{})
	v, diags := OutputValue(o, ctx)
	if n.Mod.Parent != nil {
		if o.Sensitive {
			v = v.Mark(Sensitive) // the caller sees it sensitive, as its own outputs and steps must treat it
		}
		w.ScopeOf(n.Mod.Parent).SetModuleOutput(n.Mod, n.Name, v)
	} else {
		w.Outputs[n.Name] = v
	}
	if diags.HasErrors() {
		return diags
	}
	return append(diags, outputPreconditions(o, ctx, w.Op)...)
}

// checkNode is a check block: its assertions, evaluated where the walk
// evaluates checks.
type checkNode struct{ *Node }

// Eval hands the check to the walk, which reports its result.
func (n checkNode) Eval(w *Walk) hcl.Diagnostics {
	if w.Check != nil {
		w.Check(n.Addr, n.Mod.Config.Checks[n.Name], w.ScopeOf(n.Mod).EvalContext(n.Refs, Repetition{}))
	}
	return nil
}

// stepNode is a step: all its instances.
type stepNode struct{ *Node }

// Eval expands the step and takes each instance through the walk's
// StepOp; an instance the filter leaves out is decided here, with its
// recorded value.
func (n stepNode) Eval(w *Walk) hcl.Diagnostics {
	insts, diags := Expand(n.Mod.Path, n.Mod.Config.Steps[n.Name], n.Refs, w.ScopeOf(n.Mod))
	if !w.Steps.Expanded(n.Node, insts, diags) {
		return diags
	}
	if op, ok := w.Steps.(*planOp); ok {
		op.prepare(n.Node, insts, func(inst *Instance) bool { return w.Filter.RunsInstance(inst.Addr) })
	}
	for i, inst := range insts {
		var ok bool
		if w.Filter.RunsInstance(inst.Addr) {
			ok = w.Steps.Instance(n.Node, i, inst)
		} else {
			ok = w.Steps.Filtered(n.Node, i, w.DecideInstance(Facts{Inst: inst}))
		}
		if !ok {
			return nil
		}
	}
	return w.Steps.Done(n.Node)
}
