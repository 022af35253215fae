package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// savePlan writes a plan file that binds the configuration's hash, the
// variables, the planned request hashes and the state's lineage and serial.
func (m *Meta) savePlan(path string, p *planner.Plan, st *state.State, pf *planFlags) error {
	hash, err := planner.ConfigHash(p.Config)
	if err != nil {
		return err
	}
	vars, err := planner.EncodeVars(p.Config, p.Vars)
	if err != nil {
		return err
	}
	sp := planner.SavedPlan{
		FormatVersion: planner.PlanFileVersion, Promptform: Version,
		ConfigHash: hash, Variables: vars, VarArgs: pf.vars.args,
		StateExists: m.stateExists(), Workspace: p.Workspace, Lineage: st.Lineage, Serial: st.Serial,
		Offline: pf.offline, Replay: pf.replay,
		Targets: pf.targets, Excludes: pf.excludes, Replace: pf.replace,
		Changes: p.SavedChanges(), Cost: p.SavedCost(), Budget: pf.budget,
	}
	if !sp.StateExists {
		sp.Lineage = ""
	}
	b, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// stateExists reports whether the current workspace has a recorded state:
// a written state, or the journal of a first run.
func (m *Meta) stateExists() bool {
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		return false
	}
	ok, err := be.Exists(m.ctx, ws)
	return err == nil && ok
}

// currentWorkspace is the workspace a plan is made in; the default one
// when it cannot be read (the command reports why elsewhere).
func (m *Meta) currentWorkspace() string {
	ws, diags := m.workspace()
	if diags.HasErrors() {
		return state.DefaultWorkspace
	}
	return ws
}

// planWorkspace is the workspace a saved plan was made in.
func planWorkspace(sp *planner.SavedPlan) string {
	if sp.Workspace == "" {
		return state.DefaultWorkspace
	}
	return sp.Workspace
}

// readPlanFile reads a saved plan.
func readPlanFile(path string) (*planner.SavedPlan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sp planner.SavedPlan
	if err := json.Unmarshal(b, &sp); err != nil || sp.FormatVersion == "" {
		return nil, fmt.Errorf("%s is not a promptform plan file", path)
	}
	if sp.FormatVersion != planner.PlanFileVersion {
		return nil, fmt.Errorf("%s has plan format %s; this promptform reads format %s", path, sp.FormatVersion, planner.PlanFileVersion)
	}
	return &sp, nil
}

// planFromFile re-plans a saved plan and checks that nothing it was made
// from has changed: the configuration, the state, and so every planned
// request. It returns the plan to apply, or prints why the file is stale.
func (m *Meta) planFromFile(path string, view planView) (*planner.Plan, *state.State, *planFlags, bool) {
	sp, err := readPlanFile(path)
	if err != nil {
		view.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the plan file", Detail: err.Error() + "."}})
		return nil, nil, nil, false
	}
	p, st, pf, why, ok := m.replan(sp, view, true)
	if ok && why != "" {
		view.diags(staleDiag(path, why))
		return nil, nil, nil, false
	}
	return p, st, pf, ok
}

// staleDiag is the error of a saved plan that can no longer be applied.
func staleDiag(path, why string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan is stale",
		Detail: fmt.Sprintf("The plan in %s can no longer be applied: %s. Make a new plan with promptform plan -out=%s.", path, why, path)}}
}

// replan plans again what a saved plan was made from. why is non-empty
// when the plan is stale: then p is nil and ok true (nothing was printed).
// ok is false after errors that were printed. fetch allows reading the
// model catalog over the network (apply); show uses only the cache.
func (m *Meta) replan(sp *planner.SavedPlan, view planView, fetch bool) (p *planner.Plan, st *state.State, pf *planFlags, why string, ok bool) {
	cfg, cfgDiags := m.loadConfig()
	hash, err := planner.ConfigHash(cfg)
	switch {
	case err != nil:
		return nil, nil, nil, err.Error(), true
	case hash != sp.ConfigHash:
		return nil, nil, nil, "the configuration changed since it was made", true
	}
	st, diags := m.loadState()
	switch {
	case diags.HasErrors():
		view.diags(diags)
		return nil, nil, nil, "", false
	case planWorkspace(sp) != m.currentWorkspace():
		return nil, nil, nil, fmt.Sprintf("it was made in workspace %q, and the current one is %q", planWorkspace(sp), m.currentWorkspace()), true
	case m.stateExists() != sp.StateExists:
		return nil, nil, nil, "the state changed since it was made (it was applied, or the state was created or removed)", true
	case sp.StateExists && (st.Lineage != sp.Lineage || st.Serial != sp.Serial):
		return nil, nil, nil, fmt.Sprintf("the state changed since it was made (serial %d, now %d)", sp.Serial, st.Serial), true
	}
	vars, err := planner.DecodeVars(sp.Variables)
	if err != nil {
		return nil, nil, nil, "its variables cannot be read: " + err.Error(), true
	}
	if cfgDiags.HasErrors() {
		view.diags(cfgDiags)
		return nil, nil, nil, "", false
	}
	now, diags := m.parser.CollectVariables(cfg, sp.VarArgs, m.Environ())
	if diags.HasErrors() {
		return nil, nil, nil, "its variables cannot be collected again: " + diags.Error(), true
	}
	if name := planner.ChangedVar(sp.Variables, now); name != "" {
		return nil, nil, nil, fmt.Sprintf("the value of variable %q changed since it was made", name), true
	}
	pf = &planFlags{offline: sp.Offline, replay: sp.Replay, targets: sp.Targets, excludes: sp.Excludes, replace: sp.Replace, cachedCatalog: !fetch, budget: sp.Budget}
	p, st, ok = m.planWith(cfg, vars, pf, view, nil)
	if !ok {
		return nil, nil, nil, "", false
	}
	if why := planner.SameChanges(sp.Changes, p.SavedChanges()); why != "" {
		return nil, nil, nil, why, true
	}
	return p, st, pf, "", true
}
