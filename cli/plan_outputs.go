package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
)

// printOutputChanges writes Terraform's "Changes to Outputs:" section.
func (t planText) printOutputChanges(changes []planner.OutputChange) {
	if len(changes) == 0 {
		return
	}
	width := 0
	for _, c := range changes {
		width = max(width, len(c.Name))
	}
	fmt.Fprintf(t.w, "\nChanges to Outputs:\n")
	for _, c := range changes {
		before, after := shownOutput(c.Before, c.Sensitive), shownOutput(c.After, c.Sensitive)
		switch c.Action {
		case planner.OutputCreate:
			fmt.Fprintf(t.w, "  %s %-*s = %s\n", t.green("+"), width, c.Name, after)
		case planner.OutputUpdate:
			fmt.Fprintf(t.w, "  %s %-*s = %s -> %s\n", t.yellow("~"), width, c.Name, before, after)
		case planner.OutputDelete:
			fmt.Fprintf(t.w, "  %s %-*s = %s -> null\n", t.red("-"), width, c.Name, before)
		}
	}
}

// shownOutput is an output value on one line, cut to a readable length.
func shownOutput(v cty.Value, sensitive bool) string {
	switch {
	case sensitive:
		return "(sensitive value)"
	case v == cty.NilVal:
		return "null"
	case !v.IsWhollyKnown():
		return knownAfterApply
	}
	s := formatValue(v)
	if body, ok := strings.CutPrefix(s, "<<EOT\n"); ok {
		b, _ := json.Marshal(strings.TrimSuffix(body, "\nEOT"))
		s = string(b)
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 72 {
		s = string(r[:69]) + "..."
	}
	return s
}

// plannedOutput is the -json event of one output change.
func plannedOutput(c planner.OutputChange) map[string]any {
	return map[string]any{"name": c.Name, "action": string(c.Action), "sensitive": c.Sensitive}
}
