package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// applyView shows an apply: the plan, progress, the result and outputs.
type applyView interface {
	planView
	// confirm asks whether to run the plan; it refuses when it cannot ask.
	confirm() bool
	hook() executor.Hook
	result(p *planner.Plan, res *executor.Result)
}

// newApplyView returns the view of apply: JSON events with -json, else
// text.
func newApplyView(jsonOut bool, v *viewBase) applyView {
	run := &applyRun{clock: realClock{}}
	if jsonOut {
		return &applyJSON{planJSON{events: newJSONEvents(v.stdout), base: v}, run}
	}
	return applyHuman{planHuman{v}, run}
}

// applyRun is what an apply's view keeps of the run: its tally, when it
// started, and the progress display while it runs.
type applyRun struct {
	clock    clock
	tally    *tally
	start    time.Time
	progress progress // nil when none is shown
	notices  func()   // gives interrupt notices back to stderr once the display ends
}

// planned makes the tally of the plan about to run.
func (r *applyRun) planned(p *planner.Plan) { r.tally = newTally(p) }

// begin starts timing the run and returns its tally.
func (r *applyRun) begin() *tally {
	if r.tally == nil {
		r.tally = newTally(nil)
	}
	r.start = r.clock.Now()
	return r.tally
}

// stopProgress ends the progress display, if one is shown: nothing else
// may write on stderr while it runs.
func (r *applyRun) stopProgress() {
	if r.progress != nil {
		r.notices()
		r.progress.stop()
		r.progress = nil
	}
}

// summary returns what the run did, from its start until now.
func (r *applyRun) summary() applySummary {
	if r.tally == nil {
		r.begin()
	}
	return r.tally.summary(r.clock.Now().Sub(r.start))
}

// applyHuman writes an apply as text: the plan, progress and the summary
// on stderr, the outputs on stdout.
type applyHuman struct {
	planHuman
	run *applyRun
}

// plan prints the plan on stderr: during apply, stdout carries only outputs.
func (v applyHuman) plan(p *planner.Plan) {
	planText{v.stderr, v.paint}.write(p)
	v.run.planned(p)
}

// hook returns the hook of the run, and starts the progress display when
// the run makes enough calls for one.
func (v applyHuman) hook() executor.Hook {
	t := v.run.begin()
	h := &humanHook{w: v.stderr, painter: v.paint, live: v.stderrTTY}
	if t.callCount() >= progressMinCalls {
		v.run.progress = startProgress(h, t, v.stderrTTY, v.run.clock, v.run.start, v.width)
		v.run.notices = interruptNotices.redirect(func(msg string) { h.line("%s", msg) })
	}
	return countingHook{h, t}
}

// diags ends the progress display before it writes.
func (v applyHuman) diags(d hcl.Diagnostics) {
	v.run.stopProgress()
	v.planHuman.diags(d)
}

func (v applyHuman) textDiags(d hcl.Diagnostics) { v.diags(d) }

func (v applyHuman) result(p *planner.Plan, res *executor.Result) {
	v.run.stopProgress()
	sum := v.run.summary()
	if sum.Reused > 0 {
		fmt.Fprintln(v.stderr, v.paint.faint(count(sum.Reused, "unchanged response")+" re-used."))
	}
	summary := numbers.Sprintf("%d called, %d reused, %d failed, %d skipped.", res.Called, res.Reused, res.Failed, res.Skipped)
	if res.Unrecorded > 0 {
		summary = numbers.Sprintf("%d called, %d answered but not recorded, %d reused, %d failed, %d skipped.",
			res.Called, res.Unrecorded, res.Reused, res.Failed, res.Skipped)
	}
	switch {
	case res.Unsaved:
		fmt.Fprintf(v.stderr, "\n%s %s Steps recorded before the failure are kept; fix the state directory and apply again.\n", v.paint.red("Apply stopped: the state could not be saved."), summary)
	case res.Budget.Reached():
		fmt.Fprintf(v.stderr, "\n%s %s %s What finished is recorded; apply again, with a higher budget or none, to run the rest.\n",
			v.paint.red("Apply stopped at the budget:"), budgetStop(res.Budget), summary)
	case res.Halted != "":
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded.\n", v.paint.red("Apply stopped: "+res.Halted+"."), summary)
	case res.Interrupted:
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded; apply again to run the rest.\n", v.paint.red("Apply interrupted."), summary)
	case res.Diagnostics.HasErrors():
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded.\n", v.paint.red("Apply failed."), summary)
	default:
		fmt.Fprintf(v.stderr, "\n%s %s\n", v.paint.green("Apply complete!"), summary)
	}
	writeSummary(v.stderr, v.paint, sum)
	writeOutputs(v.stdout, v.paint, p, res.Outputs)
}

// writeSummary prints the tables that end an apply: per step what ran,
// per assert how often it passed, per model the tokens used and their
// cost; then the wall time.
func writeSummary(w io.Writer, paint painter, sum applySummary) {
	if len(sum.Steps) > 0 {
		rows := [][]string{{"Step", "Run", "Reused", "Failed", "Skipped"}}
		for _, s := range sum.Steps {
			rows = append(rows, []string{s.Step, num(s.Run), num(s.Reused), num(s.Failed + s.Unrecorded), num(s.Skipped)})
		}
		writeTable(w, paint, rows, 1)
	}
	if rows := assertRows(sum.Steps); len(rows) > 1 {
		writeTable(w, paint, rows, 2)
	}
	if len(sum.Models) > 0 {
		writeTable(w, paint, modelRows(sum), 1)
	}
	fmt.Fprintf(w, "\nWall time: %s.\n", wallTime(sum.Wall))
}

// assertRows are the rows of the assert table, its header first.
func assertRows(steps []stepSummary) [][]string {
	rows := [][]string{{"Step", "Assert", "Passed", "Rate"}}
	for _, s := range steps {
		for _, a := range s.Asserts {
			rows = append(rows, []string{s.Step, a.Name, num(a.Passed) + "/" + num(a.Total), percent(a.Rate())})
		}
	}
	return rows
}

// writeTable writes rows in columns two spaces apart after a blank line:
// the first left columns aligned left, the others right. The first row is
// the header, in bold.
func writeTable(w io.Writer, paint painter, rows [][]string, left int) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	fmt.Fprintln(w)
	for r, row := range rows {
		var sb strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if i > 0 {
				sb.WriteString("  ")
			}
			if i < left {
				sb.WriteString(cell + pad)
			} else {
				sb.WriteString(pad + cell)
			}
		}
		line := strings.TrimRight(sb.String(), " ")
		if r == 0 {
			line = paint.bold(line)
		}
		fmt.Fprintln(w, line)
	}
}

// numbers formats counts for people: 1,980.
var numbers = message.NewPrinter(language.English)

// num spells a count with thousands separators.
func num(n int) string { return numbers.Sprintf("%d", n) }

// count returns "1 thing" or "1,980 things".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return num(n) + " " + noun + "s"
}

// percent spells a rate from 0 to 1 as a percentage: 90.0%.
func percent(rate float64) string { return numbers.Sprintf("%.1f%%", rate*100) }

// wallTime spells a duration as precisely as is worth reading: 312ms,
// 12.3s, 1m20s.
func wallTime(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// writeOutputs prints name = value lines, sorted, sensitive ones redacted.
func writeOutputs(w io.Writer, paint painter, p *planner.Plan, outputs map[string]cty.Value) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n\n", paint.green("Outputs:"))
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		val := formatValue(outputs[name])
		if o := p.Config.Outputs[name]; o != nil && o.Sensitive {
			val = "(sensitive value)"
		}
		fmt.Fprintf(w, "%s = %s\n", name, val)
	}
}

// applyJSON writes an apply as JSON events on stdout; what cannot be an
// event (the refusal to ask for confirmation) is text on stderr.
type applyJSON struct {
	planJSON
	run *applyRun
}

// confirm refuses: with -json, apply cannot ask.
func (v *applyJSON) confirm() bool {
	v.textDiags(needsConfirmation)
	return false
}

// plan writes the plan's events.
func (v *applyJSON) plan(p *planner.Plan) {
	v.planJSON.plan(p)
	v.run.planned(p)
}

func (v *applyJSON) hook() executor.Hook {
	t := v.run.begin()
	return countingHook{&jsonHook{events: v.events, tally: t}, t}
}

// result writes budget_stop when the budget stopped the run, then
// apply_complete, apply_summary and outputs.
func (v *applyJSON) result(p *planner.Plan, res *executor.Result) {
	if u := res.Budget; u.Reached() {
		v.events.emit("budget_stop", map[string]any{
			"spent_usd": planner.RoundUSD(u.Spent), "budget_usd": u.Budget, "not_run": u.NotRun,
		})
	}
	v.events.emit("apply_complete", map[string]any{
		"called": res.Called, "unrecorded": res.Unrecorded, "reused": res.Reused, "failed": res.Failed, "skipped": res.Skipped,
		"interrupted": res.Interrupted, "halted": res.Halted,
		"success": !res.Diagnostics.HasErrors() && !res.Interrupted && !res.Budget.Reached(),
	})
	v.events.emit("apply_summary", summaryJSON(v.run.summary()))
	outs := map[string]any{}
	for name, val := range res.Outputs {
		outs[name] = outputJSON(val, p.Config.Outputs[name].Sensitive)
	}
	v.events.emit("outputs", map[string]any{"outputs": outs})
}

// summaryJSON is the body of the apply_summary event.
func summaryJSON(sum applySummary) map[string]any {
	steps := make([]map[string]any, 0, len(sum.Steps))
	for _, s := range sum.Steps {
		asserts := make([]map[string]any, 0, len(s.Asserts))
		for _, a := range s.Asserts {
			asserts = append(asserts, map[string]any{
				"name": a.Name, "passed": a.Passed, "total": a.Total, "rate": math.Round(a.Rate()*10000) / 10000,
			})
		}
		steps = append(steps, map[string]any{
			"step": s.Step, "run": s.Run, "reused": s.Reused, "failed": s.Failed, "skipped": s.Skipped,
			"unrecorded": s.Unrecorded, "asserts": asserts,
		})
	}
	return map[string]any{
		"steps": steps, "models": modelsJSON(sum.Models), "cost_usd": sum.Spend.usdJSON(), "reused": sum.Reused,
		"wall_time_seconds": math.Round(sum.Wall.Seconds()*1000) / 1000,
	}
}
