package cli

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptform/promptform/executor"
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
// A junitReport is an executor.Hook, safe for concurrent use.
type junitReport struct {
	executor.NopHook
	now     func() time.Time
	mu      sync.Mutex
	begun   time.Time            // when the apply began
	started map[string]time.Time // calls under way, by instance address
	cases   map[string]*junitCase
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

// write writes the report to path, replacing what was there only once it
// is complete.
func (r *junitReport) write(path string) error {
	b, err := xml.MarshalIndent(r.suites(), "", "  ")
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

// suites builds the document: steps by address, instances by key and
// sample.
func (r *junitReport) suites() xmlSuites {
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
		step := stepOf(addr)
		if n := len(doc.Suites); n == 0 || doc.Suites[n-1].Name != step {
			doc.Suites = append(doc.Suites, xmlSuite{Name: step, Timestamp: stamp, Time: "0.000"})
			elapsed = 0
		}
		s := &doc.Suites[len(doc.Suites)-1]
		c := r.cases[addr]
		elapsed += c.elapsed
		s.Time = junitSeconds(elapsed)
		s.Cases = append(s.Cases, xmlCase{Name: addr, Classname: step, Time: junitSeconds(c.elapsed),
			Skipped: c.skipped, Failures: c.failures, Errors: c.errors, SystemOut: c.out})
		s.Tests++
		switch {
		case len(c.errors) > 0:
			s.Errors++
		case len(c.failures) > 0:
			s.Failures++
		case c.skipped != nil:
			s.Skipped++
		}
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	return doc
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
