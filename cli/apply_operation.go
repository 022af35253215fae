package cli

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// applyOp is one apply, as its flags ask: plan from the configuration (or
// take a saved plan), run it, and show it all on the view.
type applyOp struct {
	pf          planFlags
	planFile    string // a saved plan to apply; "" plans afresh
	autoApprove bool
	parallelism int
	view        applyView
	junitPath   string       // -junit-xml: where to write the JUnit report, or ""
	junit       *junitReport // collects the report when junitPath is set
	budget      *budget      // the run's budget, once the plan is checked against it; nil without one
}

// hook is the run's hook: the view's, and the JUnit report's with
// -junit-xml.
func (op *applyOp) hook() executor.Hook {
	h := op.view.hook()
	if op.junit == nil {
		return h
	}
	return junitTee{Hook: h, report: op.junit}
}

// apply is the apply operation: it takes the state lock and opens the
// state, folds the journal of a killed run, plans, asks for confirmation,
// makes the clients, runs the plan and shows the result. It returns the
// exit code; closing the store at the end releases the lock.
func (m *Meta) apply(op *applyOp) int {
	store, ok := m.openForApply(op)
	if !ok {
		return 1
	}
	defer store.Close() // and so releases the lock
	p, st, ok := m.planForApply(op)
	if !ok {
		return 1
	}
	limits := executor.NewLimits()
	clients, diags := m.clients(p, op.pf.offline, op.pf.replay, limits)
	if err := checkWritable(store); err != nil && p.HasChanges() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot write state",
			Detail: err.Error() + ". apply records every answer as it arrives, so it calls nothing until the state directory is writable."})
	}
	if diags.HasErrors() {
		op.view.diags(diags)
		return 1
	}
	res := m.execute(op, p, st, store, clients, limits)
	op.view.diags(res.Diagnostics)
	op.view.result(p, res)
	if res.Diagnostics.HasErrors() || res.Interrupted || res.Budget.Reached() {
		return 1
	}
	return 0
}

// checkWritable reports a state that cannot be written, when its backend
// can tell before anything is spent (local files can).
func checkWritable(w state.Writer) error {
	if c, ok := w.(interface{ CheckWritable() error }); ok {
		return c.CheckWritable()
	}
	return nil
}

// openForApply takes the lock and opens the state for writing. A run that
// was killed left a journal: its records are folded into the state before
// planning on it (a replay plans on the journal's progress as it is and
// writes nothing unless it succeeds).
func (m *Meta) openForApply(op *applyOp) (state.Writer, bool) {
	store, diags, locked := m.openState(op.pf.lock, "apply", op.pf.lockTimeout)
	if !locked {
		op.view.textDiags(diags)
		return nil, false
	}
	if diags.HasErrors() {
		op.view.diags(diags)
		return nil, false
	}
	if store.Pending() > 0 && !op.pf.replay {
		if err := store.Commit(); err != nil {
			op.view.textDiags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot write state", Detail: err.Error() + "."}})
			store.Close()
			return nil, false
		}
	}
	op.view.diags(diags)
	return store, true
}

// planForApply makes the plan, or reads the saved one (whose mode, offline
// or replay, then holds), shows it, refuses it when its budget cannot hold
// it, and asks for confirmation when a step would run and neither a saved
// plan nor -auto-approve stands for it.
func (m *Meta) planForApply(op *applyOp) (*planner.Plan, *state.State, bool) {
	var p *planner.Plan
	var st *state.State
	var ok bool
	if op.planFile != "" {
		var saved *planFlags
		p, st, saved, ok = m.planFromFile(op.planFile, op.view)
		if ok {
			op.pf.offline, op.pf.replay = saved.offline, saved.replay
			if op.pf.budget == nil {
				op.pf.budget = saved.budget // the plan's -budget, unless apply gives its own
			}
		}
	} else {
		p, st, ok = m.makePlan(&op.pf, op.view)
	}
	if !ok {
		return nil, nil, false
	}
	op.view.plan(p)
	if op.budget, ok = planBudget(&op.pf, p, op.view); !ok {
		return nil, nil, false
	}
	if p.HasChanges() && op.planFile == "" && !op.autoApprove && !op.view.confirm() {
		return nil, nil, false
	}
	return p, st, true
}

// execute runs the plan, recording into store. A saved plan applies once:
// the serial moves on even when nothing was written, so that the same file
// is stale from then on.
func (m *Meta) execute(op *applyOp, p *planner.Plan, st *state.State, store state.Writer,
	clients func(*planner.Model) executor.ChatClient, limits *executor.Limits) *executor.Result {
	serialBefore := st.Serial
	res := executor.Run(m.ctx, p, executor.Options{
		Parallelism: op.parallelism,
		Client:      clients,
		Offline:     op.pf.offline,
		Store:       store,
		Hook:        op.hook(),
		CallContext: m.abandon,
		Limits:      limits,
		Budget:      op.budget.limit(),
	})
	if op.planFile != "" && st.Serial == serialBefore {
		if err := store.Commit(); err != nil {
			res.Diagnostics = append(res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot save state", Detail: err.Error()})
		}
	}
	return res
}
