package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/promptform/promptform/state"
)

// runReport writes the HTML report of the recorded run: totals, pass
// rates per step and assert, and a table of every recorded answer; with
// -baseline, compared with another state file.
func runReport(m *Meta, args []string) int {
	fs := m.newFlags("report", "report [-out=FILE] [-baseline=FILE]\n\n"+
		"  Writes one self-contained HTML page of the recorded run: totals, pass\n"+
		"  rates per step and assert, and one row per step instance (per sample),\n"+
		"  sortable and filterable. With -baseline, another state file, it shows\n"+
		"  the pass rates then and now, regressions, fixes and changed outputs.")
	out := fs.String("out", "report.html", "write the report to `FILE`")
	baseline := fs.String("baseline", "", "compare with the state `FILE`, for example after git show main:.promptform/state.json > base.json")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	v := m.view()
	var base *state.State
	if *baseline != "" {
		b, diags := loadBaseline(*baseline)
		if diags.HasErrors() {
			v.diags(diags)
			return 1
		}
		base = b
	}
	st, diags := m.loadState()
	v.diags(diags)
	if diags.HasErrors() {
		return 1
	}
	if len(st.Steps) == 0 {
		return v.fail("Nothing to report", fmt.Sprintf("The state in %s records no step instances. Run promptform apply first.", m.statePath()))
	}
	r := buildReport(st, base, m.stepRanks())
	r.Source, r.Baseline = m.statePath(), *baseline
	var buf bytes.Buffer
	if err := writeReport(&buf, r); err != nil {
		return v.fail("Cannot write the report", err.Error())
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return v.fail("Cannot write the report", err.Error()+".")
	}
	fmt.Fprintf(v.stdout, "Report written to %s: %s of %s.\n", *out, count(len(r.Rows), "instance"), count(r.Totals.Steps, "step"))
	return 0
}
