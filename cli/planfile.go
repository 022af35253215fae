package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// savePlan writes a plan file that binds the configuration's hash, the
// variables, the planned request hashes and the state's lineage and serial.
func (m *Meta) savePlan(path string, p *planner.Plan, st *state.State, pf *planFlags) error {
	hash, err := planner.ConfigHash(m.Dir)
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
		StateExists: stateExists(m.statePath()), Lineage: st.Lineage, Serial: st.Serial,
		Offline: pf.offline, Replay: pf.replay,
		Targets: pf.targets, Excludes: pf.excludes, Replace: pf.replace,
		Changes: p.SavedChanges(),
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

// stateExists reports whether there is a recorded state: the file, or the
// journal of a first run.
func stateExists(path string) bool {
	_, err := os.Stat(path)
	_, jerr := os.Stat(path + state.JournalSuffix)
	return err == nil || jerr == nil
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
	stale := func(why string) (*planner.Plan, *state.State, *planFlags, bool) {
		view.diags(m, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Saved plan is stale",
			Detail: fmt.Sprintf("The plan in %s can no longer be applied: %s. Make a new plan with promptform plan -out=%s.", path, why, path)}})
		return nil, nil, nil, false
	}
	sp, err := readPlanFile(path)
	if err != nil {
		view.diags(m, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the plan file", Detail: err.Error() + "."}})
		return nil, nil, nil, false
	}
	hash, err := planner.ConfigHash(m.Dir)
	switch {
	case err != nil:
		return stale(err.Error())
	case hash != sp.ConfigHash:
		return stale("the configuration changed since it was made")
	}
	st, diags := m.loadState()
	switch {
	case diags.HasErrors():
		view.diags(m, diags)
		return nil, nil, nil, false
	case stateExists(m.statePath()) != sp.StateExists:
		return stale("the state changed since it was made (it was applied, or the state was created or removed)")
	case sp.StateExists && (st.Lineage != sp.Lineage || st.Serial != sp.Serial):
		return stale(fmt.Sprintf("the state changed since it was made (serial %d, now %d)", sp.Serial, st.Serial))
	}
	vars, err := planner.DecodeVars(sp.Variables)
	if err != nil {
		return stale("its variables cannot be read: " + err.Error())
	}
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		view.diags(m, diags)
		return nil, nil, nil, false
	}
	now, diags := m.parser.CollectVariables(cfg, sp.VarArgs, os.Environ())
	if diags.HasErrors() {
		return stale("its variables cannot be collected again: " + diags.Error())
	}
	if name := planner.ChangedVar(sp.Variables, now); name != "" {
		return stale(fmt.Sprintf("the value of variable %q changed since it was made", name))
	}
	pf := &planFlags{offline: sp.Offline, replay: sp.Replay, targets: sp.Targets, excludes: sp.Excludes, replace: sp.Replace}
	p, st, ok := m.planWith(cfg, vars, pf, view, nil)
	if !ok {
		return nil, nil, nil, false
	}
	if why := planner.SameChanges(sp.Changes, p.SavedChanges()); why != "" {
		return stale(why)
	}
	return p, st, pf, true
}

// showSavedPlan prints a saved plan, as recorded in the file.
func showSavedPlan(m *Meta, path string, jsonOut bool) int {
	sp, err := readPlanFile(path)
	if err != nil {
		return m.fail("Cannot read the plan file", err.Error()+".")
	}
	if jsonOut {
		for name, v := range sp.Variables {
			if v.Sensitive {
				v.Value = json.RawMessage(`"(sensitive value)"`)
				sp.Variables[name] = v
			}
		}
		for i, a := range sp.VarArgs {
			if v, ok := sp.Variables[a.Name]; ok && v.Sensitive {
				sp.VarArgs[i].Value = "(sensitive value)"
			}
		}
		b, _ := json.MarshalIndent(sp, "", "  ")
		fmt.Fprintln(m.Stdout, string(b))
		return 0
	}
	fmt.Fprintf(m.Stdout, "Saved plan %s (promptform %s), made against %s:\n\n", path, sp.Promptform, describeState(sp))
	counts := map[string]int{}
	for _, c := range sp.Changes {
		counts[c.Action]++
		if c.Action == planner.Keep.String() {
			continue
		}
		fmt.Fprintf(m.Stdout, "  %s %s  %s\n", actionSymbol(c.Action), m.bold(c.Address), m.faint("("+c.Reason+")"))
		if len(c.Request) > 0 {
			var req json.RawMessage = c.Request
			b, _ := json.MarshalIndent(req, "      ", "  ")
			fmt.Fprintf(m.Stdout, "      %s\n", b)
		}
	}
	fmt.Fprintf(m.Stdout, "\nPlan: %d to run, %d to rerun, %d to run if inputs change, %d to drop, %d kept.\n",
		counts["run"], counts["rerun"], counts["run if inputs change"], counts["drop"], counts["keep"])
	return 0
}

func describeState(sp *planner.SavedPlan) string {
	if !sp.StateExists {
		return "an empty state"
	}
	return fmt.Sprintf("state %s serial %d", sp.Lineage, sp.Serial)
}

func actionSymbol(action string) string {
	for _, a := range []planner.Action{planner.Keep, planner.Run, planner.Rerun, planner.RunIfChanged, planner.Drop} {
		if a.String() == action {
			return strings.TrimSpace(a.Symbol())
		}
	}
	return "?"
}
