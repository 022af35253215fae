package cli

import (
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/promptform/promptform/addrs"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// junitReport collects the step events of an apply and writes them as a
// JUnit XML report (apply -junit-xml): one testsuite per step, one
// testcase per step instance (per sample with repeat). A failed step or
// postcondition is a failure, and so is each failed assert; an answer
// that could not be recorded is an error; a skipped instance is skipped.
// Re-used instances are test cases too, taking no time, with their
// recorded asserts. No answer of a step is written, sensitive or not: the
// texts are failure messages, which the executor already scrubbed.
//
// Through junitView it also learns what apply showed: each output with a
// precondition (a gate) is a test case of the suite "outputs", failed when
// the precondition failed; and an apply that exits non-zero with no failed
// test case (a configuration error, a refused plan, an interrupt) gets the
// test case promptform/apply, an error saying why, so that CI does not
// show it green.
//
// A junitReport is an executor.Hook, safe for concurrent use.
type junitReport struct {
	executor.NopHook
	now     func() time.Time
	mu      sync.Mutex
	begun   time.Time            // when the apply began
	started map[string]time.Time // calls under way, by instance address
	cases   map[string]*junitCase
	errs    hcl.Diagnostics       // the errors apply showed, in order
	gates   map[string]*junitCase // outputs with preconditions, by name; nil until a run's result
	stopped bool                  // the run was interrupted
}

var _ executor.Hook = (*junitReport)(nil)

// junitCase is what is known of one instance.
type junitCase struct {
	elapsed  time.Duration
	failures []junitProblem
	errors   []junitProblem
	skipped  *junitProblem
	out      string // system-out: the model and tokens of an answer
}

// junitProblem is a failure, error or skipped element: a one-line message,
// a type, and the text CI systems show as the details.
type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// newJUnitReport returns an empty report of an apply beginning now.
func newJUnitReport(now func() time.Time) *junitReport {
	return &junitReport{now: now, begun: now(), started: map[string]time.Time{}, cases: map[string]*junitCase{}}
}

// StepStarted notes when a call began, for the time of a failure.
func (r *junitReport) StepStarted(addr, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[addr] = r.now()
}

// StepFinished adds a recorded (or re-used) instance with its asserts.
func (r *junitReport) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.take(addr)
	if !reused {
		c.elapsed = elapsed
	}
	c.out = answerSummary(rec, reused)
	if rec.Failed != "" {
		c.failures = append(c.failures, stepFailure(rec.Failed))
	}
	for _, a := range rec.Asserts {
		if !a.Passed {
			msg := fmt.Sprintf("assert %q: %s", a.Name, a.Message)
			c.failures = append(c.failures, junitProblem{Message: msg, Type: "assert", Text: msg})
		}
	}
}

// StepFailed adds a failed instance: its request, its answer or a
// postcondition failed.
func (r *junitReport) StepFailed(addr string, _ *state.Step, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.take(addr)
	c.failures = append(c.failures, stepFailure(err.Error()))
}

// StepUnrecorded adds an instance that was answered but not recorded.
func (r *junitReport) StepUnrecorded(addr string, rec *state.Step, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.take(addr)
	c.out = answerSummary(rec, false)
	msg := "answered but not recorded: " + err.Error()
	c.errors = append(c.errors, junitProblem{Message: msg, Type: "unrecorded", Text: msg})
}

// StepSkipped adds an instance (or a whole step) that did not run.
func (r *junitReport) StepSkipped(addr, cause string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.take(addr).skipped = &junitProblem{Message: cause, Text: "skipped: " + cause}
}

// take returns the case of addr, new or not, and ends its call: its time
// runs from StepStarted until now, unless the event says otherwise.
func (r *junitReport) take(addr string) *junitCase {
	c := r.cases[addr]
	if c == nil {
		c = &junitCase{}
		r.cases[addr] = c
	}
	if t, ok := r.started[addr]; ok {
		c.elapsed = r.now().Sub(t)
		delete(r.started, addr)
	}
	return c
}

// stepFailure is the failure of a step instance: a postcondition's, or its
// request's or answer's.
func stepFailure(msg string) junitProblem {
	typ := "step"
	if rest, ok := strings.CutPrefix(msg, "postcondition: "); ok {
		typ, msg = "postcondition", "postcondition failed: "+rest
	}
	return junitProblem{Message: msg, Type: typ, Text: msg}
}

// answerSummary is the system-out of an answered instance: its model and
// tokens, never its text.
func answerSummary(rec *state.Step, reused bool) string {
	s := fmt.Sprintf("model: %s\ntokens: %d in, %d out\n", rec.Model, rec.Usage.InputTokens, rec.Usage.OutputTokens)
	if reused {
		s += "re-used: the recorded answer of an unchanged request\n"
	}
	return s
}

// checkJUnitPath reports whether a report can be written at path, by
// creating and removing a file beside it: apply checks it before it
// spends anything.
func checkJUnitPath(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the directory %s does not exist", dir)
	}
	f, err := createBeside(path)
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// createBeside creates a temporary file in the directory of path.
func createBeside(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".junit-*.tmp")
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return nil, fmt.Errorf("cannot create a file in %s: %w", dir, pathErr.Err)
	}
	return f, err
}

// write writes the report of an apply that exits with code to path,
// replacing what was there only once it is complete.
func (r *junitReport) write(path string, code int) error {
	b, err := xml.MarshalIndent(r.suites(code), "", "  ")
	if err != nil {
		return err
	}
	b = append([]byte(xml.Header), append(b, '\n')...)
	f, err := createBeside(path)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// xmlSuites is the document: every step's suite, with the totals.
type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

// xmlSuite is one step's suite. failures, errors and skipped count test
// cases, not elements: a case with two failed asserts is one failure.
type xmlSuite struct {
	Name      string    `xml:"name,attr"`
	Tests     int       `xml:"tests,attr"`
	Failures  int       `xml:"failures,attr"`
	Errors    int       `xml:"errors,attr"`
	Skipped   int       `xml:"skipped,attr"`
	Time      string    `xml:"time,attr"`
	Timestamp string    `xml:"timestamp,attr"`
	Cases     []xmlCase `xml:"testcase"`
}

type xmlCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	Skipped   *junitProblem  `xml:"skipped"`
	Failures  []junitProblem `xml:"failure"`
	Errors    []junitProblem `xml:"error"`
	SystemOut string         `xml:"system-out,omitempty"`
}

// suites builds the document of an apply that exits with code: steps by
// address, instances by key and sample; then the outputs' gates; then, when
// code is not 0 and nothing failed, why apply failed.
func (r *junitReport) suites(code int) xmlSuites {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := make([]string, 0, len(r.cases))
	for addr := range r.cases {
		all = append(all, addr)
	}
	sortInstances(all, nil)
	doc := xmlSuites{Name: "promptform apply", Time: junitSeconds(r.now().Sub(r.begun)), Suites: []xmlSuite{}}
	stamp := r.begun.UTC().Format("2006-01-02T15:04:05")
	var elapsed time.Duration // of the suite being built
	for _, addr := range all {
		step := addrs.StepOf(addr)
		if n := len(doc.Suites); n == 0 || doc.Suites[n-1].Name != step {
			doc.Suites = append(doc.Suites, xmlSuite{Name: step, Timestamp: stamp, Time: "0.000"})
			elapsed = 0
		}
		s := &doc.Suites[len(doc.Suites)-1]
		c := r.cases[addr]
		elapsed += c.elapsed
		s.Time = junitSeconds(elapsed)
		s.add(xmlCase{Name: addr, Classname: step, Time: junitSeconds(c.elapsed),
			Skipped: c.skipped, Failures: c.failures, Errors: c.errors, SystemOut: c.out})
	}
	if len(r.gates) > 0 {
		doc.Suites = append(doc.Suites, caseSuite("outputs", stamp, r.gates))
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if code != 0 && doc.Failures+doc.Errors == 0 {
		s := caseSuite("promptform", stamp, map[string]*junitCase{"apply": {errors: []junitProblem{r.failure(code)}}})
		doc.Suites = append(doc.Suites, s)
		doc.Tests++
		doc.Errors++
	}
	return doc
}

// caseSuite is a suite of cases taking no time, by name.
func caseSuite(name, stamp string, cases map[string]*junitCase) xmlSuite {
	s := xmlSuite{Name: name, Timestamp: stamp, Time: "0.000", Cases: []xmlCase{}}
	names := slices.Sorted(maps.Keys(cases))
	for _, n := range names {
		c := cases[n]
		s.add(xmlCase{Name: n, Classname: name, Time: "0.000",
			Skipped: c.skipped, Failures: c.failures, Errors: c.errors})
	}
	return s
}

// add appends a case to the suite and counts it: as an error, else a
// failure, else skipped.
func (s *xmlSuite) add(c xmlCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	switch {
	case len(c.Errors) > 0:
		s.Errors++
	case len(c.Failures) > 0:
		s.Failures++
	case c.Skipped != nil:
		s.Skipped++
	}
}

// failure is the error of an apply that exited with code although no test
// case failed: its first error, with all of them as text.
func (r *junitReport) failure(code int) junitProblem {
	if len(r.errs) == 0 {
		msg := fmt.Sprintf("apply exited with code %d", code)
		if r.stopped {
			msg = "apply was interrupted"
		}
		return junitProblem{Message: msg, Type: "apply", Text: msg + "\n"}
	}
	texts := make([]string, len(r.errs))
	for i, d := range r.errs {
		texts[i] = diagText(d)
	}
	return junitProblem{Message: r.errs[0].Summary, Type: "apply", Text: strings.Join(texts, "\n")}
}

// diagText is an error diagnostic as plain text: its summary, where it
// is, and its detail. No source and no value is quoted.
func diagText(d *hcl.Diagnostic) string {
	s := "Error: " + d.Summary + "\n"
	if d.Subject != nil {
		s += fmt.Sprintf("\n  on %s line %d\n", d.Subject.Filename, d.Subject.Start.Line)
	}
	if d.Detail != "" {
		s += "\n" + d.Detail + "\n"
	}
	return s
}

// shown records the errors among diagnostics apply showed.
func (r *junitReport) shown(diags hcl.Diagnostics) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, errorsOnly(sortedDiags(diags))...)
}

// finished records the gates of a run: one case per output with
// preconditions. A failed precondition is a failure. An error on one of the
// output's expressions (a precondition that cannot be evaluated) is an
// error. An output left without a value (a step it depends on did not
// finish, or it was not part of the run) was not checked: skipped. Any
// other passed, its preconditions evaluated against known values.
func (r *junitReport) finished(p *planner.Plan, res *executor.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = res.Interrupted
	r.gates = map[string]*junitCase{}
	for name, o := range p.Config.Outputs {
		if len(o.Preconditions) == 0 {
			continue
		}
		c := &junitCase{}
		for _, d := range res.Diagnostics {
			if d.Severity == hcl.DiagError && d.Summary != planner.OutputPreconditionFailed && d.Subject != nil && within(*d.Subject, o.Exprs()) {
				c.errors = append(c.errors, junitProblem{Message: d.Summary, Type: "precondition", Text: diagText(d)})
			}
		}
		if _, ok := res.Outputs[name]; !ok && len(c.errors) == 0 {
			const why = "not checked: the output has no value (a step it depends on did not finish, or it was not part of the run)"
			c.skipped = &junitProblem{Message: why, Text: why}
		}
		r.gates["output."+name] = c
	}
	for _, d := range res.Diagnostics {
		if d.Severity != hcl.DiagError || d.Summary != planner.OutputPreconditionFailed {
			continue
		}
		name, msg, ok := strings.Cut(d.Detail, ": ")
		if !ok || !strings.HasPrefix(name, "output.") {
			name, msg = "output", d.Detail
		}
		c := r.gates[name]
		if c == nil {
			c = &junitCase{}
			r.gates[name] = c
		}
		c.skipped = nil
		c.failures = append(c.failures, junitProblem{Message: msg, Type: "precondition", Text: diagText(d)})
	}
}

// within reports whether rng overlaps one of exprs.
func within(rng hcl.Range, exprs []hcl.Expression) bool {
	for _, e := range exprs {
		if e.Range().Overlaps(rng) {
			return true
		}
	}
	return false
}

// junitSeconds is a duration in seconds with three decimals, as JUnit
// readers take it.
func junitSeconds(d time.Duration) string {
	return strconv.FormatFloat(max(d, 0).Seconds(), 'f', 3, 64)
}

// junitTee sends every event of a run to the view's hook, and the step
// events to the JUnit report too.
type junitTee struct {
	executor.Hook // the view's
	report        *junitReport
}

func (t junitTee) StepStarted(addr, model string) {
	t.Hook.StepStarted(addr, model)
	t.report.StepStarted(addr, model)
}

func (t junitTee) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	t.Hook.StepFinished(addr, rec, reused, elapsed)
	t.report.StepFinished(addr, rec, reused, elapsed)
}

func (t junitTee) StepFailed(addr string, rec *state.Step, err error) {
	t.Hook.StepFailed(addr, rec, err)
	t.report.StepFailed(addr, rec, err)
}

func (t junitTee) StepUnrecorded(addr string, rec *state.Step, err error) {
	t.Hook.StepUnrecorded(addr, rec, err)
	t.report.StepUnrecorded(addr, rec, err)
}

func (t junitTee) StepSkipped(addr, cause string) {
	t.Hook.StepSkipped(addr, cause)
	t.report.StepSkipped(addr, cause)
}

// junitView is the view of an apply with -junit-xml: it forwards every
// method to the view, and tells the report the errors it shows, a refusal
// to run, and the run's result.
type junitView struct {
	applyView
	report *junitReport
	// refused is the error of a run that was not confirmed: apply could
	// not ask, or the answer was not yes.
	refused hcl.Diagnostics
}

func (v junitView) diags(d hcl.Diagnostics) {
	v.report.shown(d)
	v.applyView.diags(d)
}

func (v junitView) textDiags(d hcl.Diagnostics) {
	v.report.shown(d)
	v.applyView.textDiags(d)
}

func (v junitView) confirm() bool {
	if v.applyView.confirm() {
		return true
	}
	v.report.shown(v.refused)
	return false
}

func (v junitView) result(p *planner.Plan, res *executor.Result) {
	v.report.finished(p, res)
	v.applyView.result(p, res)
}

// applyCancelled is the error of an apply whose confirmation was not yes.
var applyCancelled = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Apply cancelled",
	Detail: "apply asked whether to run the steps, and the answer was not 'yes'."}}
