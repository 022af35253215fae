package cli

import (
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

// compareView shows what compare found.
type compareView interface {
	diagView
	// fail writes one error and returns exit code 1.
	fail(summary, detail string) int
	comparison(c *comparison)
}

// newCompareView returns the view of compare: JSON events with -json,
// else a table and lists on stdout.
func newCompareView(jsonOut bool, v *viewBase) compareView {
	if jsonOut {
		return &compareJSON{events: newJSONEvents(v.stdout)}
	}
	return compareHuman{v}
}

// compareHuman writes a comparison as text: the pass rates as a table,
// then regressions, fixes and changed outputs, then the counts.
type compareHuman struct{ *viewBase }

func (v compareHuman) comparison(c *comparison) {
	w := v.stdout
	fmt.Fprintf(w, "%s\n\n", v.paint.bold("Pass rates:"))
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "  \tbaseline\tnow\tchange")
	for _, s := range c.steps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.step, passRateText(s.base), passRateText(s.now), v.deltaText(s.base, s.now))
		for _, a := range s.asserts {
			fmt.Fprintf(tw, "    assert %q\t%s\t%s\t%s\n", a.name, passRateText(a.base), passRateText(a.now), v.deltaText(a.base, a.now))
		}
	}
	tw.Flush()
	v.changes("Regressions", c.regressions, true)
	v.changes("Fixes", c.fixes, false)
	if len(c.changed) > 0 {
		fmt.Fprintf(w, "\n%s\n", v.paint.bold(fmt.Sprintf("Outputs changed (%d):", len(c.changed))))
		for _, o := range c.changed {
			note := ""
			if o.sensitive {
				note = " " + v.paint.faint("(sensitive)")
			}
			fmt.Fprintf(w, "  %s%s\n", o.address, note)
		}
	}
	if len(c.regressions) == 0 {
		fmt.Fprintf(w, "\n%s\n", v.paint.green("No regressions."))
	}
	fmt.Fprintf(w, "\n%s in both; %d only in the baseline, %d only now.\n", planner.Plural(c.inBoth, "instance"), c.onlyBase, c.onlyNow)
	fmt.Fprintf(w, "%s\n", costChangeText(c.baseSpend, c.nowSpend))
}

// costChangeText is what the recorded answers of both sides cost: "Cost:
// $0.0120 in the baseline, $0.0150 now (+$0.0030)."; the change is left
// out when a side has no price.
func costChangeText(base, now spend) string {
	text := fmt.Sprintf("Cost: %s in the baseline, %s now", base.text(), now.text())
	if base.usdJSON() != nil && now.usdJSON() != nil {
		text += " (" + usdDelta(now.USD-base.USD) + ")"
	}
	return text + "."
}

// changes lists regressions (with why each fails now) or fixes.
func (v compareHuman) changes(title string, list []instanceChange, regression bool) {
	if len(list) == 0 {
		return
	}
	w := v.stdout
	fmt.Fprintf(w, "\n%s\n", v.paint.bold(fmt.Sprintf("%s (%d):", title, len(list))))
	for _, ch := range list {
		what := "now passes"
		if regression {
			what = v.paint.red("now fails")
		}
		if ch.baseFailed != "" {
			what += " (the step failed in the baseline)"
		}
		subject := fmt.Sprintf(" assert %q", ch.assert)
		if ch.assert == "" {
			subject = "" // the answer itself was refused: a postcondition failed
			if !regression {
				what = "no longer fails"
			}
		}
		line := fmt.Sprintf("  %s:%s %s", ch.address, subject, what)
		if regression && ch.message != "" {
			line += ": " + ch.message
		}
		fmt.Fprintln(w, line)
	}
}

// passRateText is a pass rate as "90.0% (9/10)", or "-" when there is none.
func passRateText(p passCount) string {
	r, ok := p.rate()
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*r, p.passed, p.total)
}

// deltaText is the change of a pass rate in percentage points, red when
// it fell and green when it rose; "-" when a side has none.
func (v compareHuman) deltaText(base, now passCount) string {
	d, ok := delta(base, now)
	switch {
	case !ok:
		return "-"
	case d < 0:
		return v.paint.red(fmt.Sprintf("%.1f pts", 100*d))
	case d > 0:
		return v.paint.green(fmt.Sprintf("+%.1f pts", 100*d))
	}
	return "0.0 pts"
}

// delta is the change of a pass rate, rounded to four places (a tenth of
// a percentage point shows, float noise does not).
func delta(base, now passCount) (float64, bool) {
	b, okB := base.rate()
	n, okN := now.rate()
	if !okB || !okN {
		return 0, false
	}
	return math.Round((n-b)*1e4) / 1e4, true
}

// compareJSON writes a comparison as JSON events on stdout: pass_rate per
// step and assert, regression, fix and output_changed per instance, then
// compare_summary.
type compareJSON struct{ events *jsonEvents }

func (v *compareJSON) diags(d hcl.Diagnostics) { v.events.diags(d) }

func (v *compareJSON) fail(summary, detail string) int {
	v.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}})
	return 1
}

func (v *compareJSON) comparison(c *comparison) {
	for _, s := range c.steps {
		v.events.emit("pass_rate", rateEvent(s.step, "", s.base, s.now))
		for _, a := range s.asserts {
			v.events.emit("pass_rate", rateEvent(s.step, a.name, a.base, a.now))
		}
	}
	for _, ch := range c.regressions {
		v.events.emit("regression", changeEvent(ch))
	}
	for _, ch := range c.fixes {
		v.events.emit("fix", changeEvent(ch))
	}
	for _, o := range c.changed {
		v.events.emit("output_changed", map[string]any{"address": o.address, "step": o.step, "sensitive": o.sensitive})
	}
	v.events.emit("compare_summary", map[string]any{
		"regressions": len(c.regressions), "fixes": len(c.fixes), "outputs_changed": len(c.changed),
		"in_both": c.inBoth, "only_baseline": c.onlyBase, "only_now": c.onlyNow,
		"cost_usd":           map[string]any{"baseline": c.baseSpend.usdJSON(), "now": c.nowSpend.usdJSON()},
		"unpriced_instances": map[string]any{"baseline": c.baseSpend.Unpriced, "now": c.nowSpend.Unpriced},
	})
}

// rateEvent is a pass_rate event: a step's, or with name one of its
// asserts'. A side with nothing to count has a null rate, and the delta is
// then null.
func rateEvent(step, name string, base, now passCount) map[string]any {
	ev := map[string]any{"step": step, "baseline": sideJSON(base), "now": sideJSON(now), "delta": nil}
	if name != "" {
		ev["assert"] = name
	}
	if d, ok := delta(base, now); ok {
		ev["delta"] = d
	}
	return ev
}

func sideJSON(p passCount) map[string]any {
	side := map[string]any{"passed": p.passed, "total": p.total, "rate": nil}
	if r, ok := p.rate(); ok {
		side["rate"] = math.Round(r*1e4) / 1e4
	}
	return side
}

// changeEvent is a regression or fix event; without an assert, the
// instance's answer was refused (a postcondition failed) on one side. A
// regression of an assert the baseline did not score, because the step
// failed there, has baseline_failed: why it failed.
func changeEvent(ch instanceChange) map[string]any {
	ev := map[string]any{"address": ch.address, "step": ch.step, "message": ch.message}
	if ch.assert != "" {
		ev["assert"] = ch.assert
	}
	if ch.baseFailed != "" {
		ev["baseline_failed"] = ch.baseFailed
	}
	return ev
}
