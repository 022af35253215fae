package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

const knownAfterApply = planner.KnownAfterApply

type planHuman struct{ humanDiags }

// plan prints every step that will not simply be kept, with its model and
// rendered messages, then a summary line and the changes to outputs.
func (planHuman) plan(m *Meta, p *planner.Plan) { writePlan(m, m.Stdout, p) }

// writePlan prints the plan on w: the actions, the summary and the output
// changes, or that nothing changes.
func writePlan(m *Meta, w io.Writer, p *planner.Plan) {
	switch {
	case len(p.Changes) == 0 && !p.HasChanges():
		fmt.Fprintf(w, "%s The configuration has no steps.\n", m.green("No changes."))
		return
	case !p.HasChanges():
		fmt.Fprintf(w, "%s Every step's request is unchanged, so its recorded response will be reused (%d in all).\n",
			m.green("No changes."), len(p.Changes))
		return
	}
	if p.Counts()[planner.Keep] == len(p.Changes) {
		// Only outputs change.
		m.printOutputChanges(w, p.OutputChanges)
		fmt.Fprintf(w, "\nApplying this plan records the new output values; no step calls a model.\n")
		return
	}
	fmt.Fprintf(w, "promptform will perform the following actions:\n\n")
	for _, c := range p.Changes {
		if c.Action == planner.Keep {
			continue
		}
		m.printChange(w, c)
	}
	fmt.Fprintln(w, m.planSummary(p))
	m.printOutputChanges(w, p.OutputChanges)
}

func (m *Meta) symbol(a planner.Action) string {
	switch a {
	case planner.Run:
		return m.green("+")
	case planner.Rerun, planner.RunIfChanged:
		return m.yellow(a.Symbol())
	case planner.Drop:
		return m.red("-")
	}
	return " "
}

func (m *Meta) printChange(w io.Writer, c *planner.Change) {
	fmt.Fprintf(w, "  %s %s  %s\n", m.symbol(c.Action), m.bold(c.Address), m.faint("("+c.Reason+")"))
	r := c.Rendered
	if r == nil {
		fmt.Fprintln(w)
		return
	}
	if diff := c.Diff(); diff != "" {
		m.printDiff(w, diff)
		return
	}
	fmt.Fprintf(w, "      %-8s %s (%s)\n", "model:", r.Model.Name, r.Model.ID)
	if f := r.Fallback; f != nil {
		var chain []string
		for _, m := range f.Models {
			chain = append(chain, fmt.Sprintf("%s (%s)", m.Name, m.ID))
		}
		fmt.Fprintf(w, "      %-8s %s, tried by the %s\n", "chain:", strings.Join(chain, " → "), f.Mode)
	}
	if r.Schema != nil {
		fmt.Fprintf(w, "      %-8s %s\n", "schema:", r.Schema.Name)
	}
	if len(r.Tools) > 0 {
		var names []string
		for _, t := range r.Tools {
			names = append(names, t.Name)
		}
		choice := ""
		if tc := r.ToolChoice; tc != nil && tc.Function != "" {
			choice = " (must call " + tc.Function + ")"
		} else if tc != nil {
			choice = " (tool_choice " + tc.Mode + ")"
		}
		fmt.Fprintf(w, "      %-8s %s%s\n", "tools:", strings.Join(names, ", "), choice)
	}
	if s := settings(r); s != "" {
		fmt.Fprintf(w, "      %-8s %s\n", "with:", indentText(s, 15))
	}
	for _, msg := range r.Messages {
		fmt.Fprintf(w, "      %-8s %s\n", msg.Role+":", indentText(m.segmentsText(msg.Display), 15))
		for _, note := range msg.Notes {
			fmt.Fprintf(w, "               %s\n", m.faint(note))
		}
	}
	fmt.Fprintln(w)
}

// printDiff prints a unified diff of a request, coloured, with the folded
// context between hunks shown as an ellipsis.
func (m *Meta) printDiff(w io.Writer, diff string) {
	first := true
	for _, line := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "), line == " ":
		case strings.HasPrefix(line, "@@"):
			if !first {
				fmt.Fprintf(w, "      %s\n", m.faint("  ⋮"))
			}
			first = false
		case strings.HasPrefix(line, "-"):
			fmt.Fprintf(w, "      %s\n", m.red(line))
		case strings.HasPrefix(line, "+"):
			fmt.Fprintf(w, "      %s\n", m.green(line))
		default:
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
	fmt.Fprintln(w)
}

// settings lists the request's parameters besides the messages; one that
// uses a sensitive value is shown as (sensitive value).
func settings(r *planner.Rendered) string {
	var parts []string
	setting := func(name, value string) {
		if r.SensitiveField(name) {
			value = planner.SensitiveText
		}
		parts = append(parts, name+" = "+value)
	}
	if r.MaxTokens != nil {
		setting("max_tokens", fmt.Sprint(*r.MaxTokens))
	}
	if r.Temperature != nil {
		setting("temperature", fmt.Sprintf("%g", *r.Temperature))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		v, _ := r.Params[k].UnmarkDeep()
		setting(k, formatValue(v))
	}
	if !r.Known && len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ")
}

// segmentsText renders a message's content with (known after apply) where
// a part depends on a step that has not run.
func (m *Meta) segmentsText(segs []planner.Segment) string {
	var sb strings.Builder
	for _, s := range segs {
		if s.Sensitive {
			sb.WriteString(m.yellow("(sensitive value)"))
		} else if s.Unknown && s.Ref != "" {
			sb.WriteString(m.cyan("(" + s.Ref + ", known after apply)"))
		} else if s.Unknown {
			sb.WriteString(m.cyan(knownAfterApply))
		} else {
			sb.WriteString(s.Text)
		}
	}
	return sb.String()
}

// indentText indents every non-empty line after the first by n spaces.
func indentText(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = strings.Repeat(" ", n) + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

func (m *Meta) planSummary(p *planner.Plan) string {
	c := p.Counts()
	s := fmt.Sprintf("%s %d to run, %d to rerun", m.bold("Plan:"), c[planner.Run], c[planner.Rerun])
	if n := c[planner.RunIfChanged]; n > 0 {
		s += fmt.Sprintf(", %d to run if inputs change", n)
	}
	return s + fmt.Sprintf(", %d to drop, %d kept.", c[planner.Drop], c[planner.Keep])
}

type planJSON struct{ events *jsonEvents }

func (v *planJSON) diags(m *Meta, d hcl.Diagnostics) { v.events.diags(m, d) }

// plan writes one planned_step event per instance and a summary.
func (v *planJSON) plan(m *Meta, p *planner.Plan) {
	for _, c := range p.Changes {
		v.events.emit("planned_step", plannedStep(c))
	}
	for _, c := range p.OutputChanges {
		v.events.emit("planned_output", plannedOutput(c))
	}
	counts := p.Counts()
	v.events.emit("summary", map[string]any{"changes": map[string]int{
		"run": counts[planner.Run], "rerun": counts[planner.Rerun], "run_if_changed": counts[planner.RunIfChanged],
		"drop": counts[planner.Drop], "keep": counts[planner.Keep], "outputs": len(p.OutputChanges),
	}})
}

func plannedStep(c *planner.Change) map[string]any {
	ev := map[string]any{"address": c.Address, "action": c.Action.String(), "reason": c.Reason}
	if c.Rendered != nil {
		ev["model"] = c.Rendered.Model.ID
	}
	if c.Canonical != nil {
		ev["request_hash"] = c.Hash
		if !c.Rendered.Sensitive() {
			ev["request"] = json.RawMessage(c.Canonical)
		}
	}
	return ev
}
