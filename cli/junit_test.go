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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
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
	// apply exits 1, and the failures say why: no test case is added.
	if err := r.write(path, 1); err != nil {
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
	doc := r.suites(1)
	if doc.Tests != 50 || doc.Failures != 25 || len(doc.Suites) != 1 {
		t.Errorf("got %d tests, %d failures in %d suites; want 50, 25 in 1", doc.Tests, doc.Failures, len(doc.Suites))
	}
}

// TestJUnitApply runs a real apply against the fake gateway and validates
// the report it writes against the JUnit schema.
func TestJUnitApply(t *testing.T) {
	t.Parallel()
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
	run := junitApply(t, src, "", false, "-auto-approve")
	if run.code != 1 {
		t.Fatalf("apply exited %d, want 1 (a postcondition fails)\n%s", run.code, run.output)
	}
	for _, want := range []string{
		`<testcase name="step.post" classname="step.post"`,
		`type="postcondition"`,
		`<testcase name="step.after" classname="step.after" time="0.000">`,
		`<skipped message=`,
		`<testcase name="step.grade[&#34;a&#34;]" classname="step.grade"`,
		`<testcase name="step.grade[&#34;b&#34;]#1" classname="step.grade"`,
	} {
		if !bytes.Contains(run.report, []byte(want)) {
			t.Errorf("the report lacks %s:\n%s", want, run.report)
		}
	}
	if bytes.Contains(run.report, []byte(`name="promptform"`)) {
		t.Errorf("the failures say why apply failed, yet the report adds a test case:\n%s", run.report)
	}
	validateJUnit(t, run.path)
}

// TestJUnitApplyFailures runs applies that fail without a failed step (a
// configuration error, a refusal to run, a failed output precondition)
// and some that check gates: each report must carry the failure, and be
// valid JUnit.
func TestJUnitApplyFailures(t *testing.T) {
	t.Parallel()
	const model = `model "m" { id = "claude-haiku-4-5-20251001" }
step "ask" {
  model  = model.m
  prompt = "hi"
}
`
	tests := map[string]struct {
		src      string
		stdin    string
		tty      bool
		args     []string
		want     []string // the report's suites and cases, times left out
		wantText []string // in the report's texts; $DIR is the configuration's directory
	}{
		"configuration error": {
			src: `model "m" { id = "claude-haiku-4-5-20251001" }
step "ask" {
  model  = model.nope
  prompt = "hi"
}
`,
			args: []string{"-auto-approve"},
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: Reference to undeclared model]`,
			},
			wantText: []string{"Error: Reference to undeclared model\n\n  on $DIR/main.pf.hcl line 3\n\nNo model named \"nope\" is declared.\n"},
		},
		"needs confirmation": {
			src: model,
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: Apply needs confirmation]`,
			},
			wantText: []string{"standard input is not a terminal"},
		},
		"cancelled": {
			src: model, stdin: "no\n", tty: true,
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: Apply cancelled]`,
			},
		},
		"gate fails": {
			src: model + `
output "long" {
  value = length(step.ask.output)
  precondition {
    condition     = length(step.ask.output) > 100
    error_message = "The answer is too short."
  }
  precondition {
    condition     = length(step.ask.output) > 200
    error_message = "The answer is far too short."
  }
}
output "short" {
  value = length(step.ask.output)
  precondition {
    condition     = length(step.ask.output) > 0
    error_message = "The answer is empty."
  }
}
output "plain" {
  value = 1
}
`,
			args: []string{"-auto-approve"},
			want: []string{
				`tests=3 failures=1 errors=0`,
				`suite step.ask tests=1 failures=0 errors=0 skipped=0`,
				`  step.ask (step.ask)`,
				`suite outputs tests=2 failures=1 errors=0 skipped=0`,
				`  output.long (outputs) failure[precondition: The answer is too short.] failure[precondition: The answer is far too short.]`,
				`  output.short (outputs)`,
			},
			wantText: []string{
				"Error: Output precondition failed\n\n  on $DIR/main.pf.hcl line 10\n\noutput.long: The answer is too short.\n",
				"output.long: The answer is far too short.",
			},
		},
		"gates not checked": {
			src: model + `
step "post" {
  model  = model.m
  prompt = "hello"
  postcondition {
    condition     = length(self.output) < 5
    error_message = "Too long."
  }
}
output "bad" {
  value = 1
  precondition {
    condition     = step.ask.output
    error_message = "Never shown."
  }
}
output "posted" {
  value = step.post.output
  precondition {
    condition     = step.post.output != ""
    error_message = "Nothing posted."
  }
}
`,
			args: []string{"-auto-approve"},
			want: []string{
				`tests=4 failures=1 errors=1`,
				`suite step.ask tests=1 failures=0 errors=0 skipped=0`,
				`  step.ask (step.ask)`,
				`suite step.post tests=1 failures=1 errors=0 skipped=0`,
				`  step.post (step.post) failure[postcondition: postcondition failed: step.post: Too long.]`,
				`suite outputs tests=2 failures=0 errors=1 skipped=1`,
				`  output.bad (outputs) error[precondition: Invalid condition]`,
				`  output.posted (outputs) skipped[not checked: the output has no value (a step it depends on did not finish, or it was not part of the run)]`,
			},
			wantText: []string{"Error: Invalid condition\n\n  on $DIR/main.pf.hcl line 18\n\nThe condition must be true or false.\n"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := junitApply(t, tt.src, tt.stdin, tt.tty, tt.args...)
			if run.code != 1 {
				t.Fatalf("apply exited %d, want 1\n%s", run.code, run.output)
			}
			var doc xmlSuites
			if err := xml.Unmarshal(run.report, &doc); err != nil {
				t.Fatalf("the report is not XML: %v\n%s", err, run.report)
			}
			if got, want := strings.Join(docLines(doc), "\n"), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("wrong report\ngot:\n%s\nwant:\n%s", got, want)
			}
			texts := strings.Join(docTexts(doc), "\n---\n")
			for _, want := range tt.wantText {
				want = strings.ReplaceAll(want, "$DIR", filepath.Dir(run.path))
				if !strings.Contains(texts, want) {
					t.Errorf("the report's texts lack %q:\n%s", want, texts)
				}
			}
			validateJUnit(t, run.path)
		})
	}
}

// junitRun is what an apply -junit-xml did: its exit code, its report
// (and where it is), and what it printed.
type junitRun struct {
	code   int
	report []byte
	path   string
	output string
}

// junitApply runs apply -junit-xml with args in-process, on src in a new
// directory, against a fake gateway; stdin is a terminal when tty is set.
func junitApply(t *testing.T, src, stdin string, tty bool, args ...string) junitRun {
	t.Helper()
	srv := gatewaytest.NewServer()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "junit.xml")
	env := map[string]string{EnvGatewayURL: srv.URL(), "ASSEMBLYAI_API_KEY": "test-key"}
	var out bytes.Buffer
	ctx := context.Background()
	args = append([]string{"-chdir=" + dir, "apply", "-junit-xml=" + path}, args...)
	code := Run(ctx, ctx, args, Streams{
		Stdin: strings.NewReader(stdin), StdinTTY: tty, Stdout: &out, Stderr: &out,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report after apply (exit code %d): %v\n%s", code, err, out.String())
	}
	return junitRun{code: code, report: b, path: path, output: out.String()}
}

// docLines is a report in lines without its times: the totals, then each
// suite and its cases.
func docLines(doc xmlSuites) []string {
	lines := []string{fmt.Sprintf("tests=%d failures=%d errors=%d", doc.Tests, doc.Failures, doc.Errors)}
	for _, s := range doc.Suites {
		lines = append(lines, fmt.Sprintf("suite %s tests=%d failures=%d errors=%d skipped=%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped))
		for _, c := range s.Cases {
			lines = append(lines, "  "+strings.Replace(caseLine(c), " "+c.Time, "", 1))
		}
	}
	return lines
}

// docTexts lists the texts of a report's failures, errors and skips.
func docTexts(doc xmlSuites) []string {
	var texts []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			for _, p := range slices.Concat(c.Failures, c.Errors) {
				texts = append(texts, p.Text)
			}
			if c.Skipped != nil {
				texts = append(texts, c.Skipped.Text)
			}
		}
	}
	return texts
}

// TestJUnitReportExitCode checks when the report adds the test case
// promptform/apply: only when apply exits non-zero and no test case failed
// or erred, with the first error shown as its message.
func TestJUnitReportExitCode(t *testing.T) {
	t.Parallel()
	subject := &hcl.Range{Filename: "main.pf.hcl", Start: hcl.Pos{Line: 3, Column: 1}, End: hcl.Pos{Line: 3, Column: 5}}
	tests := map[string]struct {
		code     int
		events   func(r *junitReport)
		want     []string
		wantText string
	}{
		"success": {
			code: 0,
			want: []string{`tests=0 failures=0 errors=0`},
		},
		"errors shown": {
			code: 1,
			events: func(r *junitReport) {
				r.shown(hcl.Diagnostics{
					{Severity: hcl.DiagWarning, Summary: "Deprecated", Detail: "Not an error."},
					{Severity: hcl.DiagError, Summary: "Saved plan is stale", Detail: "The state <changed> & moved on."},
				})
				r.shown(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: "No such argument.", Subject: subject}})
			},
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: Saved plan is stale]`,
			},
			wantText: "Error: Saved plan is stale\n\nThe state <changed> & moved on.\n\n" +
				"Error: Unsupported argument\n\n  on main.pf.hcl line 3\n\nNo such argument.\n",
		},
		"nothing shown": {
			code: 2,
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: apply exited with code 2]`,
			},
			wantText: "apply exited with code 2\n",
		},
		"interrupted": {
			code: 1,
			events: func(r *junitReport) {
				r.StepSkipped("step.a", "interrupted")
				r.finished(&planner.Plan{Config: &config.Config{}}, &executor.Result{Interrupted: true})
			},
			want: []string{
				`tests=2 failures=0 errors=1`,
				`suite step.a tests=1 failures=0 errors=0 skipped=1`,
				`  step.a (step.a) skipped[interrupted]`,
				`suite promptform tests=1 failures=0 errors=1 skipped=0`,
				`  apply (promptform) error[apply: apply was interrupted]`,
			},
		},
		"step failed": {
			code: 1,
			events: func(r *junitReport) {
				r.StepFailed("step.a", nil, errors.New("the request could not be rendered"))
				r.shown(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid prompt"}})
			},
			want: []string{
				`tests=1 failures=1 errors=0`,
				`suite step.a tests=1 failures=1 errors=0 skipped=0`,
				`  step.a (step.a) failure[step: the request could not be rendered]`,
			},
		},
		"answer lost": {
			code: 1,
			events: func(r *junitReport) {
				r.StepUnrecorded("step.a", &state.Step{Model: "m1"}, errors.New("disk full"))
			},
			want: []string{
				`tests=1 failures=0 errors=1`,
				`suite step.a tests=1 failures=0 errors=1 skipped=0`,
				`  step.a (step.a) error[unrecorded: answered but not recorded: disk full]`,
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newJUnitReport(time.Now)
			if tt.events != nil {
				tt.events(r)
			}
			path := filepath.Join(t.TempDir(), "report.xml")
			if err := r.write(path, tt.code); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc xmlSuites
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatalf("the report is not XML: %v\n%s", err, b)
			}
			if got, want := strings.Join(docLines(doc), "\n"), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("wrong report\ngot:\n%s\nwant:\n%s", got, want)
			}
			if tt.wantText != "" {
				if got := strings.Join(docTexts(doc), "\n---\n"); got != tt.wantText {
					t.Errorf("wrong text\ngot:  %q\nwant: %q", got, tt.wantText)
				}
			}
			validateJUnit(t, path)
		})
	}
}

// refusingView is an apply view whose confirm answers ok; nothing else of
// it is called.
type refusingView struct {
	applyView
	ok bool
}

func (v refusingView) confirm() bool { return v.ok }

// TestJUnitViewConfirm checks that a run that is not confirmed leaves its
// refusal in the report, and a confirmed one nothing.
func TestJUnitViewConfirm(t *testing.T) {
	t.Parallel()
	for _, ok := range []bool{true, false} {
		r := newJUnitReport(time.Now)
		v := junitView{applyView: refusingView{ok: ok}, report: r, refused: applyCancelled}
		if got := v.confirm(); got != ok {
			t.Errorf("confirm() = %t, want %t", got, ok)
		}
		want := 1
		if ok {
			want = 0
		}
		if len(r.errs) != want || (want == 1 && r.errs[0].Summary != "Apply cancelled") {
			t.Errorf("confirm() answering %t left %d errors (%v), want %d", ok, len(r.errs), r.errs, want)
		}
	}
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
