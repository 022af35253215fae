package cli

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
)

// junitClock is a clock that moves only when told.
type junitClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *junitClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *junitClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestJUnitReport feeds the report the events of a run (samples, re-used,
// failed, skipped and unrecorded instances, asserts) and checks the
// document, which must be valid against the JUnit schema CI systems read.
func TestJUnitReport(t *testing.T) {
	t.Parallel()
	clock := &junitClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r := newJUnitReport(clock.now)
	grade := func(addr string, sample int, asserts ...state.Assert) *state.Step {
		return &state.Step{Address: addr, Name: "grade", Sample: sample, Model: "m1", Output: "SECRET-OUTPUT",
			Sensitive: true, Usage: state.Usage{InputTokens: 3, OutputTokens: 4}, Asserts: asserts}
	}
	pass := state.Assert{Name: "short", Passed: true}
	fail := state.Assert{Name: "exact", Message: "Not <exact> & wrong."}
	r.StepFinished(`step.grade["a"]`, grade(`step.grade["a"]`, 0, pass, fail), false, 1500*time.Millisecond)
	r.StepFinished(`step.grade["a"]#1`, grade(`step.grade["a"]#1`, 1, pass, state.Assert{Name: "exact", Passed: true}), false, 250*time.Millisecond)
	r.StepFinished(`step.grade["b"]`, grade(`step.grade["b"]`, 0, state.Assert{Name: "short", Message: "Too long."}, fail), true, 0)
	r.StepStarted("step.post", "m1")
	clock.advance(2 * time.Second)
	r.StepFailed("step.post", nil, errors.New("postcondition: step.post: The answer is too long."))
	r.StepFailed("step.req", nil, errors.New("the request could not be rendered"))
	r.StepSkipped("step.after", "step.post failed")
	r.StepUnrecorded("step.lost", grade("step.lost", 0), errors.New("state: disk full"))
	for _, i := range []int{10, 2} {
		r.StepFinished(fmt.Sprintf("step.n[%d]", i), &state.Step{Model: "m1"}, false, time.Second)
	}
	clock.advance(time.Second)

	path := filepath.Join(t.TempDir(), "report.xml")
	if err := r.write(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("SECRET-OUTPUT")) {
		t.Errorf("the report holds an answer:\n%s", b)
	}
	var doc xmlSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the report is not XML: %v\n%s", err, b)
	}
	if got, want := fmt.Sprintf("%s tests=%d failures=%d errors=%d time=%s", doc.Name, doc.Tests, doc.Failures, doc.Errors, doc.Time),
		"promptform apply tests=9 failures=4 errors=1 time=3.000"; got != want {
		t.Errorf("wrong totals\ngot:  %s\nwant: %s", got, want)
	}
	var got []string
	for _, s := range doc.Suites {
		got = append(got, fmt.Sprintf("suite %s tests=%d failures=%d errors=%d skipped=%d time=%s at %s",
			s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, s.Time, s.Timestamp))
		for _, c := range s.Cases {
			got = append(got, "  "+caseLine(c))
		}
	}
	want := []string{
		`suite step.after tests=1 failures=0 errors=0 skipped=1 time=0.000 at 2026-03-01T12:00:00`,
		`  step.after (step.after) 0.000 skipped[step.post failed]`,
		`suite step.grade tests=3 failures=2 errors=0 skipped=0 time=1.750 at 2026-03-01T12:00:00`,
		`  step.grade["a"] (step.grade) 1.500 failure[assert: assert "exact": Not <exact> & wrong.]`,
		`  step.grade["a"]#1 (step.grade) 0.250`,
		`  step.grade["b"] (step.grade) 0.000 failure[assert: assert "short": Too long.] failure[assert: assert "exact": Not <exact> & wrong.]`,
		`suite step.lost tests=1 failures=0 errors=1 skipped=0 time=0.000 at 2026-03-01T12:00:00`,
		`  step.lost (step.lost) 0.000 error[unrecorded: answered but not recorded: state: disk full]`,
		`suite step.n tests=2 failures=0 errors=0 skipped=0 time=2.000 at 2026-03-01T12:00:00`,
		`  step.n[2] (step.n) 1.000`,
		`  step.n[10] (step.n) 1.000`,
		`suite step.post tests=1 failures=1 errors=0 skipped=0 time=2.000 at 2026-03-01T12:00:00`,
		`  step.post (step.post) 2.000 failure[postcondition: postcondition failed: step.post: The answer is too long.]`,
		`suite step.req tests=1 failures=1 errors=0 skipped=0 time=0.000 at 2026-03-01T12:00:00`,
		`  step.req (step.req) 0.000 failure[step: the request could not be rendered]`,
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("wrong suites\ngot:\n%s\nwant:\n%s", g, w)
	}
	validateJUnit(t, path)
}

// caseLine is a test case in one line: name, classname, time, and what
// went wrong.
func caseLine(c xmlCase) string {
	s := fmt.Sprintf("%s (%s) %s", c.Name, c.Classname, c.Time)
	if c.Skipped != nil {
		s += " skipped[" + c.Skipped.Message + "]"
	}
	for _, f := range c.Failures {
		s += fmt.Sprintf(" failure[%s: %s]", f.Type, f.Message)
	}
	for _, e := range c.Errors {
		s += fmt.Sprintf(" error[%s: %s]", e.Type, e.Message)
	}
	return s
}

// TestJUnitReportConcurrent sends events from many goroutines at once (run
// with -race): every instance is in the report.
func TestJUnitReportConcurrent(t *testing.T) {
	t.Parallel()
	r := newJUnitReport(time.Now)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			addr := fmt.Sprintf("step.s[%d]", i)
			r.StepStarted(addr, "m")
			if i%2 == 0 {
				r.StepFinished(addr, &state.Step{Model: "m"}, false, time.Millisecond)
			} else {
				r.StepFailed(addr, nil, errors.New("boom"))
			}
		})
	}
	wg.Wait()
	doc := r.suites()
	if doc.Tests != 50 || doc.Failures != 25 || len(doc.Suites) != 1 {
		t.Errorf("got %d tests, %d failures in %d suites; want 50, 25 in 1", doc.Tests, doc.Failures, len(doc.Suites))
	}
}

// TestJUnitApply runs a real apply against the fake gateway and validates
// the report it writes against the JUnit schema.
func TestJUnitApply(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	src := `
model "m" { id = "claude-haiku-4-5-20251001" }
step "grade" {
  for_each = { a = "one", b = "two" }
  model    = model.m
  repeat   = 2
  prompt   = "Say ${each.value}"
  assert "mentions_one" {
    condition     = strcontains(self.output, "one")
    error_message = "It does not say one."
  }
}
step "post" {
  model  = model.m
  prompt = "hello"
  postcondition {
    condition     = length(self.output) < 5
    error_message = "Too long."
  }
}
step "after" {
  model  = model.m
  prompt = step.post.output
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "junit.xml")
	env := map[string]string{EnvGatewayURL: srv.URL(), "ASSEMBLYAI_API_KEY": "test-key"}
	var out, errb bytes.Buffer
	ctx := context.Background()
	code := Run(ctx, ctx, []string{"-chdir=" + dir, "apply", "-auto-approve", "-junit-xml=" + path}, Streams{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
	})
	if code != 1 {
		t.Fatalf("apply exited %d, want 1 (a postcondition fails)\n%s%s", code, out.String(), errb.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report after a failed apply: %v", err)
	}
	for _, want := range []string{
		`<testcase name="step.post" classname="step.post"`,
		`type="postcondition"`,
		`<testcase name="step.after" classname="step.after" time="0.000">`,
		`<skipped message=`,
		`<testcase name="step.grade[&#34;a&#34;]" classname="step.grade"`,
		`<testcase name="step.grade[&#34;b&#34;]#1" classname="step.grade"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the report lacks %s:\n%s", want, b)
		}
	}
	validateJUnit(t, path)
}

// junitXSD is the JUnit schema, found before any test changes directory
// (the scripts' in-process commands do).
var junitXSD, _ = filepath.Abs("testdata/junit-10.xsd")

// validateJUnit validates a report against the JUnit schema of the Jenkins
// xUnit plugin (testdata/junit-10.xsd) with xmllint. Without xmllint the
// test is skipped, except in CI, whose script installs it.
func validateJUnit(t *testing.T, path string) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint is missing (Debian package libxml2-utils): CI must install it")
		}
		t.Skip("xmllint is missing (Debian package libxml2-utils): the report is not validated")
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", junitXSD, path).CombinedOutput()
	if err != nil {
		b, _ := os.ReadFile(path)
		t.Errorf("the report is not valid JUnit: %v\n%s\n%s", err, out, b)
	}
}
