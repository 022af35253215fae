package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

// savedFormat is how show prints a saved plan.
type savedFormat int

const (
	savedAsText     savedFormat = iota // the plan view
	savedAsJSON                        // the file's document
	savedAsMarkdown                    // a pull-request comment
)

// showSavedPlan prints a saved plan: with the plan view (or as Markdown),
// as plan printed it, while it can still be applied; as recorded in the
// file, with a warning, once it is stale. As JSON it prints the file's
// document.
func showSavedPlan(m *Meta, path string, format savedFormat) int {
	base := m.view()
	sp, err := readPlanFile(path)
	if err != nil {
		return base.fail("Cannot read the plan file", err.Error()+".")
	}
	if format == savedAsJSON {
		return savedPlanJSON(base, sp)
	}
	view := savedPlanHuman{planHuman{base}}
	md := savedPlanMarkdown{base}
	p, _, _, why, ok := m.replan(sp, view, false)
	switch {
	case !ok:
		return 1
	case why != "" && format == savedAsMarkdown:
		md.stale(path, why, sp)
		return 0
	case why != "":
		view.stale(path, why, sp)
		return 0
	}
	if sp.Cost != nil {
		p.Cost = *sp.Cost // as reviewed, whatever the cached catalog says now
	}
	if format == savedAsMarkdown {
		md.plan(path, p)
		return 0
	}
	view.header(path, sp)
	view.plan(p)
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
	v.diags(staleDiags(path, why))
	v.header(path, sp)
	w, paint := v.stdout, v.paint
	for _, c := range sp.Changes {
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
	fmt.Fprintf(w, "\n%s\n", recordedSummary(sp))
	if sp.Cost != nil {
		for _, line := range costLines(*sp.Cost) {
			fmt.Fprintln(w, line)
		}
	}
}

// staleDiags is the warning that the plan in path can no longer be applied.
func staleDiags(path, why string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Saved plan is stale",
		Detail: fmt.Sprintf("The plan in %s can no longer be applied: %s. It is shown as recorded.", path, why)}}
}

// recordedSummary is the "Plan:" line of a plan as its file records it.
func recordedSummary(sp *planner.SavedPlan) string {
	counts := map[string]int{}
	for _, c := range sp.Changes {
		counts[c.Action]++
	}
	return fmt.Sprintf("Plan: %d to run, %d to rerun, %d to run if inputs change, %d to drop, %d kept.",
		counts["run"], counts["rerun"], counts["run if inputs change"], counts["drop"], counts["keep"])
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
