package cli

import (
	"encoding/xml"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// testRunView shows the progress and results of promptform test.
type testRunView interface {
	diags(hcl.Diagnostics)
	fileStarted(path string)
	runFinished(path string, r *runResult)
	fileFinished(fr *fileResult)
	summary(passed, failed, skipped int)
}

// testTextView prints one line per run on stdout, each failure under it
// with its message and location, and the failures in full (with their
// source) on stderr.
type testTextView struct {
	base    *viewBase
	verbose bool
}

func (v *testTextView) diags(d hcl.Diagnostics) { v.base.diags(d) }

func (v *testTextView) fileStarted(path string) {
	fmt.Fprintf(v.base.stdout, "%s... in progress\n", path)
}

func (v *testTextView) runFinished(path string, r *runResult) {
	w, p := v.base.stdout, v.base.paint
	status := p.green("pass")
	switch {
	case r.skipped:
		status = p.yellow("skip")
	case !r.passed:
		status = p.red("fail")
	}
	fmt.Fprintf(w, "  run %q... %s\n", r.name, status)
	for _, d := range r.failures {
		fmt.Fprintf(w, "    %s\n", failureLine(d))
	}
	if v.verbose {
		for _, s := range r.steps {
			fmt.Fprintf(w, "    %s = %s\n", s.addr, quoteLine(s.text))
		}
		for _, name := range slices.Sorted(maps.Keys(r.outputs)) {
			fmt.Fprintf(w, "    output.%s = %s\n", name, oneLine(formatValue(r.outputs[name])))
		}
	}
	v.base.diags(r.failures)
}

func (v *testTextView) fileFinished(fr *fileResult) {
	for _, d := range sortedDiags(errorsOnly(fr.diags)) {
		fmt.Fprintf(v.base.stdout, "  %s\n", failureLine(d))
	}
	v.base.diags(fr.diags)
	status := v.base.paint.green("pass")
	if !filePassed(fr) {
		status = v.base.paint.red("fail")
	}
	fmt.Fprintf(v.base.stdout, "%s... %s\n\n", fr.path, status)
}

func (v *testTextView) summary(passed, failed, skipped int) {
	counts := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		counts += fmt.Sprintf(", %d skipped", skipped)
	}
	if failed+skipped > 0 {
		fmt.Fprintf(v.base.stdout, "%s %s.\n", v.base.paint.red("Failure!"), counts)
		return
	}
	fmt.Fprintf(v.base.stdout, "%s %s.\n", v.base.paint.green("Success!"), counts)
}

func filePassed(fr *fileResult) bool {
	if len(fr.diags) > 0 {
		return false
	}
	for _, r := range fr.runs {
		if !r.passed {
			return false
		}
	}
	return true
}

// failureLine is a failure on one line: its message (the detail, else the
// summary) and where it is.
func failureLine(d *hcl.Diagnostic) string {
	msg := d.Detail
	if d.Summary == "Test assertion failed" {
		msg = "assert failed: " + msg
	} else if msg == "" {
		msg = d.Summary
	} else {
		msg = d.Summary + ": " + msg
	}
	msg = oneLine(msg)
	if d.Subject != nil {
		msg += fmt.Sprintf(" (%s:%d)", d.Subject.Filename, d.Subject.Start.Line)
	}
	return msg
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// quoteLine is an answer's text quoted on one line, cut to 100 runes.
func quoteLine(s string) string { return fmt.Sprintf("%q", excerptText(s, 100)) }

// testJSONView prints the results as JSON events, after the version event
// every -json command starts with: test_file, test_run (with its failures
// as diagnostics), test_summary.
type testJSONView struct {
	events  *jsonEvents
	verbose bool
}

func (v *testJSONView) diags(d hcl.Diagnostics) { v.events.diags(d) }

func (v *testJSONView) fileStarted(string) {}

func (v *testJSONView) runFinished(path string, r *runResult) {
	ev := map[string]any{"file": path, "run": r.name, "status": runStatus(r), "elapsed_ms": r.elapsed.Milliseconds()}
	var failures []jsonDiag
	for _, d := range sortedDiags(r.failures) {
		failures = append(failures, toJSONDiag(d))
	}
	if failures != nil {
		ev["failures"] = failures
	}
	if v.verbose {
		steps := map[string]string{}
		for _, s := range r.steps {
			steps[s.addr] = s.text
		}
		outputs := map[string]string{}
		for name, val := range r.outputs {
			outputs[name] = formatValue(val)
		}
		ev["steps"], ev["outputs"] = steps, outputs
	}
	v.events.emit("test_run", ev)
}

func (v *testJSONView) fileFinished(fr *fileResult) {
	status := "pass"
	if !filePassed(fr) {
		status = "fail"
	}
	ev := map[string]any{"file": fr.path, "status": status}
	if len(fr.diags) > 0 {
		var ds []jsonDiag
		for _, d := range sortedDiags(fr.diags) {
			ds = append(ds, toJSONDiag(d))
		}
		ev["diagnostics"] = ds
	}
	v.events.emit("test_file", ev)
}

func (v *testJSONView) summary(passed, failed, skipped int) {
	v.events.emit("test_summary", map[string]any{"passed": passed, "failed": failed, "skipped": skipped})
}

func runStatus(r *runResult) string {
	switch {
	case r.skipped:
		return "skip"
	case r.passed:
		return "pass"
	}
	return "fail"
}

// writeTestJUnit writes the results as JUnit XML: a testsuite per file, a
// testcase per run, a failure per failed assert or unexpected failure; a
// file that does not parse is a testcase with an error.
func writeTestJUnit(path string, results []*fileResult) error {
	type problem struct {
		Message string `xml:"message,attr,omitempty"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string    `xml:"name,attr"`
		Classname string    `xml:"classname,attr"`
		Time      string    `xml:"time,attr"`
		Failures  []problem `xml:"failure"`
		Errors    []problem `xml:"error"`
		Skipped   *problem  `xml:"skipped"`
	}
	type testsuite struct {
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Errors   int        `xml:"errors,attr"`
		Time     string     `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	describe := func(d *hcl.Diagnostic) problem {
		text := d.Summary + ": " + d.Detail
		if d.Subject != nil {
			text += fmt.Sprintf("\n  on %s line %d", d.Subject.Filename, d.Subject.Start.Line)
		}
		return problem{Message: failureLine(d), Type: d.Summary, Text: text}
	}
	all := testsuites{Name: "promptform test"}
	for _, fr := range results {
		s := testsuite{Name: fr.path}
		var total float64
		if len(fr.diags) > 0 {
			c := testcase{Name: "(file)", Classname: fr.path, Time: "0"}
			for _, d := range errorsOnly(fr.diags) {
				c.Errors = append(c.Errors, describe(d))
			}
			s.Cases = append(s.Cases, c)
			s.Errors++
		}
		for _, r := range fr.runs {
			c := testcase{Name: r.name, Classname: fr.path, Time: fmt.Sprintf("%.3f", r.elapsed.Seconds())}
			if r.skipped {
				c.Skipped = &problem{Message: "not run: the test was interrupted"}
			}
			total += r.elapsed.Seconds()
			for _, d := range sortedDiags(r.failures) {
				c.Failures = append(c.Failures, describe(d))
			}
			if len(c.Failures) > 0 {
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests, s.Time = len(s.Cases), fmt.Sprintf("%.3f", total)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Suites = append(all.Suites, s)
	}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
