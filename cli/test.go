package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// runTest runs the test files of the configuration: each run block plans
// or applies the configuration in a temporary state, its models replaced
// by mocks, and checks its asserts. No model is called and no network
// connection is opened; the configuration's own state is never read or
// written.
func runTest(m *Meta, args []string) int {
	var vars varFlags
	var filters []string
	fs := m.newFlags("test", "test [-filter=FILE]... [-json] [-junit-xml=FILE] [-verbose] [-var NAME=VALUE]... [-var-file=FILE]...")
	vars.bind(fs)
	fs.Func("filter", "run only this test file (its path, or its name; repeatable)", func(s string) error {
		filters = append(filters, s)
		return nil
	})
	jsonOut := fs.Bool("json", false, "print machine-readable events, one JSON object per line")
	junitPath := fs.String("junit-xml", "", "also write the results as a JUnit XML report to `FILE`")
	verbose := fs.Bool("verbose", false, "print the answer of every step each run ran, and the outputs")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	var view testRunView = &testTextView{base: m.view(), verbose: *verbose}
	if *jsonOut {
		view = &testJSONView{events: newJSONEvents(m.Stdout), verbose: *verbose}
	}
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	paths, err := testFiles(m.Dir, filters)
	if err != nil {
		view.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read test files", Detail: err.Error()}})
		return 1
	}
	if len(paths) == 0 {
		detail := fmt.Sprintf("No *%s file in %s or %s.", TestSuffix, m.Dir, filepath.Join(m.Dir, "tests"))
		if len(filters) > 0 {
			detail = fmt.Sprintf("No test file matches -filter %s.", strings.Join(filters, ", "))
		}
		view.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No test files", Detail: detail}})
		return 1
	}
	t := &tester{m: m, cfg: cfg, vars: vars.args, view: view}
	var results []*fileResult
	for _, path := range paths {
		fr := t.file(path)
		results = append(results, fr)
		if m.ctx.Err() != nil {
			break
		}
	}
	passed, failed := countRuns(results)
	view.summary(passed, failed)
	code := 0
	if failed > 0 || m.ctx.Err() != nil {
		code = 1
	}
	if *junitPath != "" {
		if err := writeTestJUnit(*junitPath, results); err != nil {
			view.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot write the JUnit report", Detail: err.Error()}})
			code = 1
		}
	}
	return code
}

// tester runs test files against one configuration.
type tester struct {
	m    *Meta
	cfg  *config.Config
	vars []config.VarArg // -var and -var-file
	view testRunView
}

// fileResult is what a test file came to: its runs, or the errors that
// kept it from running.
type fileResult struct {
	path  string
	diags hcl.Diagnostics // of the file itself (it does not parse)
	runs  []*runResult
}

// runResult is what one run came to.
type runResult struct {
	name     string
	passed   bool
	skipped  bool // an earlier run of the file could not start
	failures hcl.Diagnostics
	elapsed  time.Duration
	steps    []stepAnswer // with -verbose: what the run recorded
	outputs  map[string]cty.Value
}

// stepAnswer is one recorded instance, for -verbose.
type stepAnswer struct {
	addr, text string
}

func countRuns(results []*fileResult) (passed, failed int) {
	for _, fr := range results {
		if len(fr.diags) > 0 && len(fr.runs) == 0 {
			failed++
		}
		for _, r := range fr.runs {
			if r.passed {
				passed++
			} else {
				failed++
			}
		}
	}
	return passed, failed
}

// file runs one test file in a fresh temporary state that its runs share.
func (t *tester) file(path string) *fileResult {
	fr := &fileResult{path: path}
	t.view.fileStarted(path)
	tf, diags := parseTestFile(t.m.parser, path)
	if diags.HasErrors() {
		fr.diags = diags
		t.view.fileFinished(fr)
		return fr
	}
	dir, err := os.MkdirTemp("", "promptform-test-")
	if err != nil {
		fr.diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot make a temporary state", Detail: err.Error()}}
		t.view.fileFinished(fr)
		return fr
	}
	defer os.RemoveAll(dir)
	store, _, err := state.OpenUnlocked(dir)
	if err != nil {
		fr.diags = hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot make a temporary state", Detail: err.Error()}}
		t.view.fileFinished(fr)
		return fr
	}
	defer store.Close()
	for _, r := range tf.runs {
		if t.m.ctx.Err() != nil {
			break
		}
		began := time.Now()
		res := t.run(tf, r, store)
		res.elapsed = time.Since(began)
		fr.runs = append(fr.runs, res)
		t.view.runFinished(path, res)
	}
	t.view.fileFinished(fr)
	return fr
}

// run plans or applies the configuration for one run and checks it.
func (t *tester) run(tf *testFile, r *testRun, store *state.Store) *runResult {
	res := &runResult{name: r.name}
	fail := func(d hcl.Diagnostics) *runResult {
		res.failures = append(res.failures, errorsOnly(d)...)
		res.passed = len(res.failures) == 0
		return res
	}
	attrs := append(append([]*hcl.Attribute(nil), tf.vars...), r.vars...)
	vars, diags := t.m.parser.CollectVariablesWith(t.cfg, t.vars, t.m.Environ(), attrs)
	if diags.HasErrors() {
		return fail(diags)
	}
	mocks := map[string]*mockModel{}
	for name, mock := range tf.mocks {
		mocks[name] = mock
	}
	for name, mock := range r.mocks {
		mocks[name] = mock
	}
	diags = append(diags, unknownMocks(t.cfg, mocks)...)
	diags = append(diags, unknownExpected(t.cfg, r.expected)...)
	if diags.HasErrors() {
		return fail(diags)
	}
	filter := &planner.Filter{Targets: r.targets}
	p, diags := t.plan(vars, store.State(), filter)
	if diags.HasErrors() {
		return fail(diags)
	}
	var failed map[string]hcl.Diagnostics // what failed, by step or output address
	if r.command == "apply" {
		// A recorded answer is re-used only when the run's mocks would give
		// it again: a run with other mocks is answered by them.
		if replace := staleAnswers(p, mocks); len(replace) > 0 {
			filter.Replace = replace
			if p, diags = t.plan(vars, store.State(), filter); diags.HasErrors() {
				return fail(diags)
			}
		}
		hook := &testHook{failed: map[string]error{}}
		out := executor.Run(t.m.ctx, p, executor.Options{
			Client: mockClients(mocks), Offline: true, Store: store, Hook: hook,
		})
		var other hcl.Diagnostics
		failed, other = sortFailures(out.Diagnostics, hook.failedSteps())
		if len(other) > 0 {
			return fail(other)
		}
		res.outputs = out.Outputs
	}
	res.failures = append(res.failures, checkExpected(r, failed)...)
	res.steps = recordedAnswers(p, store.State())
	if len(res.failures) > 0 {
		return res // the run failed already: its asserts would see what did not run
	}
	ctx, diags := t.assertContext(r, vars, store.State(), p)
	if diags.HasErrors() {
		return fail(diags)
	}
	res.failures = append(res.failures, t.asserts(r, ctx)...)
	res.passed = len(res.failures) == 0
	return res
}

// plan plans the configuration against the run's state, offline: the
// records the mocks made count as kept, and no catalog is read.
func (t *tester) plan(vars map[string]cty.Value, st *state.State, filter *planner.Filter) (*planner.Plan, hcl.Diagnostics) {
	return planner.Build(t.cfg, planner.Options{Vars: vars, State: st, Offline: true, Filter: filter, Context: t.m.ctx})
}

// errorsOnly returns the errors among diags.
func errorsOnly(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// unknownMocks reports mocks of models the configuration does not declare.
func unknownMocks(cfg *config.Config, mocks map[string]*mockModel) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for name, mock := range mocks {
		if _, ok := cfg.Models[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Mock of an undeclared model",
				Detail:  fmt.Sprintf("The configuration declares no model %q for this mock_model to replace.", name),
				Subject: mock.decl.Ptr()})
		}
		for _, a := range mock.answers {
			if name, ok := strings.CutPrefix(a.step, "step."); ok {
				if _, declared := cfg.Steps[name]; !declared {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Answer for an undeclared step",
						Detail:  fmt.Sprintf("The configuration declares no step %q for this answer.", name),
						Subject: a.decl.Ptr()})
				}
			}
		}
	}
	return diags
}

// unknownExpected reports expect_failures addresses that name nothing.
func unknownExpected(cfg *config.Config, expected []expectedFailure) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range expected {
		kind, rest, _ := strings.Cut(e.addr, ".")
		name, _, _ := strings.Cut(rest, "[")
		declared := false
		switch kind {
		case "step":
			_, declared = cfg.Steps[name]
		case "output":
			_, declared = cfg.Outputs[name]
		}
		if !declared {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Expected failure of an undeclared " + kind,
				Detail: fmt.Sprintf("The configuration declares no %s %q.", kind, name), Subject: e.rng.Ptr()})
		}
	}
	return diags
}

// staleAnswers selects the kept instances whose recorded answer the mocks
// would not give again.
func staleAnswers(p *planner.Plan, mocks map[string]*mockModel) []planner.Selector {
	var out []planner.Selector
	for _, c := range p.Changes {
		if c.Action != planner.Keep || c.Prior == nil || c.Request == nil || c.Rendered == nil || c.Rendered.Model == nil {
			continue
		}
		mock := mocks[c.Rendered.Model.Name]
		if c.Rendered.Model.NS != "" || mock == nil {
			continue
		}
		a, text, err := mock.answer(c.Addr.Step.String(), c.Request)
		if err == nil && a != nil && len(a.toolCalls) > 0 {
			continue // a tool round: its final answer comes later in the conversation
		}
		if err != nil || text != c.Prior.Output {
			if sel, err := planner.ParseSelector(c.Address); err == nil {
				out = append(out, sel)
			}
		}
	}
	return out
}

// testHook collects the instances that failed in an apply.
type testHook struct {
	executor.NopHook
	mu     sync.Mutex
	failed map[string]error
}

func (h *testHook) StepFailed(addr string, _ *state.Step, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed[addr] = err
}

func (h *testHook) failedSteps() map[string]error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}

// sortFailures files an apply's errors under what failed: an instance of a
// step (under the step's address), or an output's precondition (under
// output.NAME). Errors of neither kind are returned apart.
func sortFailures(diags hcl.Diagnostics, steps map[string]error) (map[string]hcl.Diagnostics, hcl.Diagnostics) {
	failed := map[string]hcl.Diagnostics{}
	var other hcl.Diagnostics
	for addr := range steps {
		failed[stepOfInstance(addr)] = nil
	}
	for _, d := range errorsOnly(diags) {
		addr, _, _ := strings.Cut(d.Detail, ": ")
		switch {
		case strings.HasPrefix(addr, "output.") && d.Summary == "Output precondition failed":
			failed[addr] = append(failed[addr], d)
		case hasKey(steps, addr) || hasKey(failed, stepOfInstance(addr)):
			failed[stepOfInstance(addr)] = append(failed[stepOfInstance(addr)], d)
		default:
			other = append(other, d)
		}
	}
	return failed, other
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// stepOfInstance is the step address of an instance address: step.a of
// step.a["k"]#2.
func stepOfInstance(addr string) string {
	if i := strings.IndexAny(addr, "[#"); i >= 0 {
		return addr[:i]
	}
	return addr
}

// checkExpected compares what failed with expect_failures: an expected
// failure that did not happen is a failure of the run, and so is one that
// happened unexpected.
func checkExpected(r *testRun, failed map[string]hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	expected := map[string]bool{}
	for _, e := range r.expected {
		addr := stepOfInstance(e.addr)
		expected[addr] = true
		if _, ok := failed[addr]; !ok {
			what := "its instances all succeeded"
			if strings.HasPrefix(addr, "output.") {
				what = "its preconditions passed"
			}
			if r.command == "plan" {
				what = "a plan runs nothing (command = plan)"
			}
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing expected failure",
				Detail:  fmt.Sprintf("The run %q expects %s to fail, but %s.", r.name, e.addr, what),
				Subject: e.rng.Ptr()})
		}
	}
	for _, addr := range slices.Sorted(maps.Keys(failed)) {
		if expected[addr] {
			continue
		}
		if ds := failed[addr]; len(ds) > 0 {
			out = append(out, ds...)
			continue
		}
		out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Step failed", Detail: addr + " failed."})
	}
	return out
}

// assertContext is where a run's asserts are evaluated: var.*, local.*,
// step.* with what the state now records (in a plan run, unknown for what
// the plan would run), output.*.
func (t *tester) assertContext(r *testRun, vars map[string]cty.Value, st *state.State, ran *planner.Plan) (*hcl.EvalContext, hcl.Diagnostics) {
	p := ran
	if r.command == "apply" {
		var diags hcl.Diagnostics
		if p, diags = t.plan(vars, st, &planner.Filter{}); diags.HasErrors() {
			return nil, diags
		}
	}
	var pending map[string]bool
	if r.command == "plan" {
		pending = map[string]bool{}
		for _, c := range p.Changes {
			if c.Action != planner.Keep && c.Action != planner.Drop {
				pending[c.Address] = true
			}
		}
	}
	w, _ := walkValues(p, st, pending)
	return consoleContext(w, st), nil
}

// asserts evaluates a run's assert blocks: each that does not hold is a
// failure with its message and where it is.
func (t *tester) asserts(r *testRun, ctx *hcl.EvalContext) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, a := range r.asserts {
		v, diags := a.cond.Value(ctx)
		switch {
		case diags.HasErrors():
			out = append(out, errorsOnly(diags)...)
			continue
		case !v.IsWhollyKnown():
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown condition value",
				Detail:  fmt.Sprintf("The condition of an assert of run %q depends on values known only after apply (a step this run did not run).", r.name),
				Subject: a.cond.Range().Ptr(), Expression: a.cond, EvalContext: ctx})
			continue
		}
		v, _ = v.Unmark()
		if v.IsNull() || v.Type() != cty.Bool {
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid condition result",
				Detail: "An assert's condition must be true or false.", Subject: a.cond.Range().Ptr()})
			continue
		}
		if v.True() {
			continue
		}
		msg := "(the error message could not be evaluated)"
		if mv, d := a.msg.Value(ctx); !d.HasErrors() && mv.IsWhollyKnown() {
			if mv, _ = mv.Unmark(); !mv.IsNull() && mv.Type() == cty.String {
				msg = mv.AsString()
			}
		}
		out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Test assertion failed",
			Detail: msg, Subject: a.cond.Range().Ptr(), Expression: a.cond, EvalContext: ctx})
	}
	return out
}

// recordedAnswers lists what the state records of the plan's instances,
// for -verbose.
func recordedAnswers(p *planner.Plan, st *state.State) []stepAnswer {
	var out []stepAnswer
	for _, c := range p.Changes {
		if rec := st.Steps[c.Address]; rec != nil && c.Action != planner.Drop {
			text := rec.Output
			switch {
			case rec.Sensitive:
				text = "(sensitive value)"
			case rec.Failed != "":
				text = "failed: " + rec.Failed
			}
			out = append(out, stepAnswer{addr: c.Address, text: text})
		}
	}
	return out
}
