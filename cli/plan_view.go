package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

const knownAfterApply = planner.KnownAfterApply

// planView shows a plan.
type planView interface {
	diagView
	plan(p *planner.Plan)
	// saved says that the plan was saved to path, for apply path.
	saved(path string)
	// textDiags writes diagnostics as text on stderr, even with -json:
	// errors from outside the plan (the state lock, saving files).
	textDiags(diags hcl.Diagnostics)
}

// newPlanView returns the view of plan: JSON events with -json, else text.
func newPlanView(jsonOut bool, v *viewBase) planView {
	if jsonOut {
		return &planJSON{events: newJSONEvents(v.stdout), base: v}
	}
	return planHuman{v}
}

type planHuman struct{ *viewBase }

// plan prints every step that will not simply be kept, with its model and
// rendered messages, then a summary line and the changes to outputs.
func (v planHuman) plan(p *planner.Plan) { planText{v.stdout, v.paint}.write(p) }

func (v planHuman) textDiags(diags hcl.Diagnostics) { v.diags(diags) }

func (v planHuman) saved(path string) {
	fmt.Fprintf(v.stdout, "\nSaved the plan to %s. To run exactly it: promptform apply %s\n", path, path)
}

// planText writes a plan as text on w, coloured by its painter.
type planText struct {
	w io.Writer
	painter
}

// write prints the plan: the actions, the summary and the output changes,
// or that nothing changes.
func (t planText) write(p *planner.Plan) {
	switch {
	case len(p.Changes) == 0 && !p.HasChanges() && p.Filter.Active():
		fmt.Fprintf(t.w, "%s -target and -exclude leave no step instance to plan.\n", t.green("No changes."))
		return
	case len(p.Changes) == 0 && !p.HasChanges():
		fmt.Fprintf(t.w, "%s The configuration has no steps.\n", t.green("No changes."))
		return
	case !p.HasChanges():
		fmt.Fprintf(t.w, "%s Every step's request is unchanged, so its recorded response will be reused (%d in all).\n",
			t.green("No changes."), len(p.Changes))
		return
	}
	t.printMoves(p.Moves)
	cached := t.printCached(p)
	if p.Counts()[planner.Keep] == len(p.Changes) {
		// Only moves, answers from the shared cache and outputs change.
		t.printOutputChanges(p.OutputChanges)
		var parts []string
		if len(p.Moves) > 0 {
			parts = append(parts, "the moves")
		}
		if cached > 0 {
			parts = append(parts, "the answers from the shared cache")
		}
		if len(p.OutputChanges) > 0 {
			parts = append(parts, "the new output values")
		}
		what := strings.Join(parts, ", ")
		if len(parts) > 1 {
			what = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
		}
		fmt.Fprintf(t.w, "\nApplying this plan records %s; no step calls a model.\n", what)
		return
	}
	if len(p.Moves) > 0 || cached > 0 {
		fmt.Fprintln(t.w)
	}
	fmt.Fprintf(t.w, "promptform will perform the following actions:\n\n")
	varied := variedModels(p)
	for _, c := range p.Changes {
		if c.Action == planner.Keep {
			continue
		}
		t.printChange(c, varied[c.Addr.Step.String()])
	}
	fmt.Fprintln(t.w, t.planSummary(p))
	for _, line := range costLines(p.Cost) {
		fmt.Fprintln(t.w, line)
	}
	t.printOutputChanges(p.OutputChanges)
}

func (t planText) symbol(a planner.Action) string {
	switch a {
	case planner.Run:
		return t.green("+")
	case planner.Rerun, planner.RunIfChanged:
		return t.yellow(a.Symbol())
	case planner.Drop:
		return t.red("-")
	}
	return " "
}

// printChange prints one instance's change. showModel puts its model on
// the first line, for a step whose instances do not all use one model, so
// that a long plan shows at a glance which instance asks which model.
func (t planText) printChange(c *planner.Change, showModel bool) {
	r := c.Rendered
	showModel = showModel && r != nil
	model := ""
	if showModel {
		model = fmt.Sprintf("%s (%s)  ", r.ModelAddress(), r.Model.ID)
	}
	fmt.Fprintf(t.w, "  %s %s  %s%s\n", t.symbol(c.Action), t.bold(c.Address), model, t.faint("("+c.Reason+")"))
	if r == nil {
		fmt.Fprintln(t.w)
		return
	}
	if diff := c.Diff(); diff != "" {
		t.printDiff(diff)
		return
	}
	if !showModel {
		fmt.Fprintf(t.w, "      %-8s %s (%s)\n", "model:", r.Model.Name, r.Model.ID)
	}
	if f := r.Fallback; f != nil {
		var chain []string
		for _, m := range f.Models {
			chain = append(chain, fmt.Sprintf("%s (%s)", m.Name, m.ID))
		}
		fmt.Fprintf(t.w, "      %-8s %s, tried by the %s\n", "chain:", strings.Join(chain, " → "), f.Mode)
	}
	if r.Schema != nil {
		fmt.Fprintf(t.w, "      %-8s %s\n", "schema:", r.Schema.Name)
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
		fmt.Fprintf(t.w, "      %-8s %s%s\n", "tools:", strings.Join(names, ", "), choice)
	}
	if s := settings(r); s != "" {
		fmt.Fprintf(t.w, "      %-8s %s\n", "with:", indentText(s, 15))
	}
	for _, msg := range r.Messages {
		fmt.Fprintf(t.w, "      %-8s %s\n", msg.Role+":", indentText(t.segmentsText(msg.Display), 15))
		for _, note := range msg.Notes {
			fmt.Fprintf(t.w, "               %s\n", t.faint(note))
		}
	}
	fmt.Fprintln(t.w)
}

// variedModels returns the steps whose changes use more than one model or
// fallback chain, by address.
func variedModels(p *planner.Plan) map[string]bool {
	first := map[string]string{}
	varied := map[string]bool{}
	for _, c := range p.Changes {
		if c.Rendered == nil {
			continue
		}
		name, model := c.Addr.Step.String(), c.Rendered.ModelAddress()
		if m, ok := first[name]; !ok {
			first[name] = model
		} else if m != model {
			varied[name] = true
		}
	}
	return varied
}

// printDiff prints a unified diff of a request, coloured, with the folded
// context between hunks shown as an ellipsis.
func (t planText) printDiff(diff string) {
	first := true
	for _, line := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "), line == " ":
		case strings.HasPrefix(line, "@@"):
			if !first {
				fmt.Fprintf(t.w, "      %s\n", t.faint("  ⋮"))
			}
			first = false
		case strings.HasPrefix(line, "-"):
			fmt.Fprintf(t.w, "      %s\n", t.red(line))
		case strings.HasPrefix(line, "+"):
			fmt.Fprintf(t.w, "      %s\n", t.green(line))
		default:
			fmt.Fprintf(t.w, "      %s\n", line)
		}
	}
	fmt.Fprintln(t.w)
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
func (t planText) segmentsText(segs []planner.Segment) string {
	var sb strings.Builder
	for _, s := range segs {
		if s.Sensitive {
			sb.WriteString(t.yellow("(sensitive value)"))
		} else if s.Unknown && s.Ref != "" {
			sb.WriteString(t.cyan("(" + s.Ref + ", known after apply)"))
		} else if s.Unknown {
			sb.WriteString(t.cyan(knownAfterApply))
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

func (t planText) planSummary(p *planner.Plan) string {
	c := p.Counts()
	s := fmt.Sprintf("%s %d to run, %d to rerun", t.bold("Plan:"), c[planner.Run], c[planner.Rerun])
	if n := c[planner.RunIfChanged]; n > 0 {
		s += fmt.Sprintf(", %d to run if inputs change", n)
	}
	s += fmt.Sprintf(", %d to drop, %d kept", c[planner.Drop], c[planner.Keep])
	if n := p.Cached(); n > 0 {
		s += fmt.Sprintf(" (%d reused from the shared cache)", n)
	}
	return s + "."
}

// costLines spell a plan's cost estimate: a line that starts with "Cost:",
// the expected figure first, then, when more than one step calls a model,
// a line per step, and a note when some step may make calls the estimate
// does not count. Nothing when no step calls a model.
func costLines(est planner.CostEstimate) []string {
	if est.Calls == 0 {
		return nil
	}
	calls := count(est.Calls, "call")
	if est.Offline {
		return []string{fmt.Sprintf("Cost: %s: the offline model costs nothing (%s).", usd(0), calls)}
	}
	notes := []string{calls}
	if n := len(est.Unpriced); n > 0 {
		notes = append(notes, fmt.Sprintf("%s unpriced: %s", count(n, "model"), strings.Join(est.Unpriced, ", ")))
	}
	if len(est.Unbounded) > 0 {
		notes = append(notes, "no output limit for "+strings.Join(est.Unbounded, ", ")+": its expected output is counted")
	}
	width, priced := 0, 0
	var extra []string
	for _, sc := range est.Steps {
		width = max(width, len(sc.Step))
		priced += sc.Calls - sc.Unpriced
		if sc.ExtraCalls {
			extra = append(extra, sc.Step)
		}
	}
	line := fmt.Sprintf("Cost: ≈ %s expected, at most %s (%s)", usd(est.Expected), usd(est.Max), strings.Join(notes, "; "))
	if priced == 0 {
		line = fmt.Sprintf("Cost: unknown (%s)", strings.Join(notes, "; "))
	}
	lines := []string{line}
	if len(est.Steps) > 1 {
		for _, sc := range est.Steps {
			cost := "≈ " + usd(sc.Expected)
			stepNotes := count(sc.Calls, "call")
			switch {
			case sc.Unpriced == sc.Calls:
				cost = "unpriced"
			case sc.Unpriced > 0:
				stepNotes += fmt.Sprintf(", %s unpriced", num(sc.Unpriced))
			}
			lines = append(lines, fmt.Sprintf("  %-*s  %s  (%s)", width, sc.Step, cost, stepNotes))
		}
	}
	if len(extra) > 0 {
		lines = append(lines, "  Not counted: the tool rounds and output retries of "+strings.Join(extra, ", ")+" are extra calls.")
	}
	return lines
}

// printMoves prints what moved, one line per moved block, as written,
// with how many records it carried.
// maxCachedShown is how many instances kept from the shared cache the plan
// names before it counts the rest.
const maxCachedShown = 20

// printCached lists the instances kept with an answer from the shared
// answer cache, and returns how many there are.
func (t planText) printCached(p *planner.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if !c.Cached {
			continue
		}
		if n++; n <= maxCachedShown {
			fmt.Fprintln(t.w, t.bold(fmt.Sprintf("  %s is %s", c.Address, planner.CachedReason)))
		}
	}
	if n > maxCachedShown {
		fmt.Fprintln(t.w, t.bold(numbers.Sprintf("  … and %d more instances reused from the shared cache", n-maxCachedShown)))
	}
	return n
}

func (t planText) printMoves(moves []planner.MovedRecord) {
	var order [][2]string
	counts := map[[2]string]int{}
	for _, mv := range moves {
		k := mv.Block
		if k == [2]string{} {
			k = [2]string{mv.From, mv.Rec.Address}
		}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, k := range order {
		line := fmt.Sprintf("  %s has moved to %s", k[0], k[1])
		if n := counts[k]; n > 1 {
			line += numbers.Sprintf(" (%d records)", n)
		}
		fmt.Fprintln(t.w, t.bold(line))
	}
}
