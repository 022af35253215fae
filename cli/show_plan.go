package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

// showSavedPlan prints a saved plan: with the plan view, as plan printed
// it, while it can still be applied; as recorded in the file, with a
// warning, once it is stale. -json prints the file's document.
func showSavedPlan(m *Meta, path string, jsonOut bool) int {
	base := m.view()
	sp, err := readPlanFile(path)
	if err != nil {
		return base.fail("Cannot read the plan file", err.Error()+".")
	}
	if jsonOut {
		return savedPlanJSON(base, sp)
	}
	view := savedPlanHuman{planHuman{base}}
	p, _, _, why, ok := m.replan(sp, view, false)
	switch {
	case !ok:
		return 1
	case why == "":
		if sp.Cost != nil {
			p.Cost = *sp.Cost // as reviewed, whatever the cached catalog says now
		}
		view.header(path, sp)
		view.plan(p)
		return 0
	}
	view.stale(path, why, sp)
	return 0
}

// savedPlanHuman shows a saved plan as text on stdout.
type savedPlanHuman struct{ planHuman }

// header names the plan file and the state it was made against.
func (v savedPlanHuman) header(path string, sp *planner.SavedPlan) {
	fmt.Fprintf(v.stdout, "Saved plan %s (promptform %s), made against %s:\n\n", path, sp.Promptform, describeState(sp))
}

// stale warns that the plan can no longer be applied and prints it as the
// file records it.
func (v savedPlanHuman) stale(path, why string, sp *planner.SavedPlan) {
	v.diags(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Saved plan is stale",
		Detail: fmt.Sprintf("The plan in %s can no longer be applied: %s. It is shown as recorded.", path, why)}})
	v.header(path, sp)
	w, paint := v.stdout, v.paint
	counts := map[string]int{}
	for _, c := range sp.Changes {
		counts[c.Action]++
		if c.Action == planner.Keep.String() {
			continue
		}
		fmt.Fprintf(w, "  %s %s  %s\n", actionSymbol(c.Action), paint.bold(c.Address), paint.faint("("+c.Reason+")"))
		if len(c.Request) > 0 {
			var req json.RawMessage = c.Request
			b, _ := json.MarshalIndent(req, "      ", "  ")
			fmt.Fprintf(w, "      %s\n", b)
		}
	}
	fmt.Fprintf(w, "\nPlan: %d to run, %d to rerun, %d to run if inputs change, %d to drop, %d kept.\n",
		counts["run"], counts["rerun"], counts["run if inputs change"], counts["drop"], counts["keep"])
	if sp.Cost != nil {
		for _, line := range costLines(*sp.Cost) {
			fmt.Fprintln(w, line)
		}
	}
}

// savedPlanJSON prints the plan file's document, the values of sensitive
// variables redacted.
func savedPlanJSON(v *viewBase, sp *planner.SavedPlan) int {
	for name, val := range sp.Variables {
		if val.Sensitive {
			val.Value = json.RawMessage(`"(sensitive value)"`)
			sp.Variables[name] = val
		}
	}
	for i, a := range sp.VarArgs {
		if val, ok := sp.Variables[a.Name]; ok && val.Sensitive {
			sp.VarArgs[i].Value = "(sensitive value)"
		}
	}
	b, _ := json.MarshalIndent(sp, "", "  ")
	fmt.Fprintln(v.stdout, string(b))
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
