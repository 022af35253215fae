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
	"github.com/promptform/promptform/addrs"
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
	results := m.testResults(view, vars.args, filters)
	passed, failed, skipped := countRuns(results)
	view.summary(passed, failed, skipped)
	code := 0
	if failed > 0 || skipped > 0 || m.ctx.Err() != nil {
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

// testResults runs the test files, or returns why none could run: a
// configuration with errors, or no test file, is one failed result, so
// that -json and -junit-xml report it as well.
func (m *Meta) testResults(view testRunView, vars []config.VarArg, filters []string) []*fileResult {
	failed := func(diags hcl.Diagnostics) []*fileResult {
		fr := &fileResult{path: m.Dir, diags: diags}
		view.fileFinished(fr)
		return []*fileResult{fr}
	}
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		return failed(diags)
	}
	paths, err := testFiles(m.Dir, filters)
	if err != nil {
		return failed(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read test files", Detail: err.Error()}})
	}
	if len(paths) == 0 {
		detail := fmt.Sprintf("No *%s file in %s or %s.", TestSuffix, m.Dir, filepath.Join(m.Dir, "tests"))
		if len(filters) > 0 {
			detail = fmt.Sprintf("No test file matches -filter %s.", strings.Join(filters, ", "))
		}
		return failed(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No test files", Detail: detail}})
	}
	t := &tester{m: m, cfg: cfg, vars: vars, view: view, funcs: &hcl.EvalContext{Functions: config.Functions(cfg.Dir)}}
	var results []*fileResult
	for _, path := range paths {
		results = append(results, t.file(path))
		if m.ctx.Err() != nil {
			break
		}
	}
	return results
}

// tester runs test files against one configuration.
type tester struct {
	m     *Meta
	cfg   *config.Config
	vars  []config.VarArg // -var and -var-file
	view  testRunView
	funcs *hcl.EvalContext // the functions a test file's values may call

	// answeredBy says which mock answered each instance recorded in the
	// current file's state, so that a run whose mocks differ asks again.
	mu         sync.Mutex
	answeredBy map[string]answeredBy
}

// answeredBy is the instance a mock answered, the model it stood for,
// and the mock.
type answeredBy struct {
	inst  addrs.StepInstance
	model string
	mock  *mockModel
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
	skipped  bool // not run: the test was interrupted before it
	failures hcl.Diagnostics
	elapsed  time.Duration
	steps    []stepAnswer // with -verbose: what the run recorded
	outputs  map[string]cty.Value
}

// stepAnswer is one recorded instance, for -verbose.
type stepAnswer struct {
	addr, text string
}

func countRuns(results []*fileResult) (passed, failed, skipped int) {
	for _, fr := range results {
		if len(fr.diags) > 0 && len(fr.runs) == 0 {
			failed++
		}
		for _, r := range fr.runs {
			switch {
			case r.skipped:
				skipped++
			case r.passed:
				passed++
			default:
				failed++
			}
		}
	}
	return passed, failed, skipped
}

// file runs one test file in a fresh temporary state that its runs share.
func (t *tester) file(path string) *fileResult {
	fr := &fileResult{path: path}
	t.view.fileStarted(path)
	tf, diags := parseTestFile(t.m.parser, path, t.funcs)
	if !diags.HasErrors() {
		diags = append(diags, t.checkMocks(tf.mocks)...)
		for _, r := range tf.runs {
			diags = append(diags, t.checkMocks(r.mocks)...)
			diags = append(diags, t.checkAddresses(r.targets)...)
			diags = append(diags, t.checkAddresses(r.expected)...)
		}
	}
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
	t.answeredBy = map[string]answeredBy{}
	for _, r := range tf.runs {
		if t.m.ctx.Err() != nil {
			res := &runResult{name: r.name, skipped: true}
			fr.runs = append(fr.runs, res)
			t.view.runFinished(path, res)
			continue
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
	vars, diags := t.m.parser.CollectVariablesWith(t.cfg, t.vars, t.m.Environ(), attrs, t.funcs)
	if diags.HasErrors() {
		return fail(diags)
	}
	mocks := maps.Clone(tf.mocks)
	maps.Copy(mocks, r.mocks)
	// A recorded answer is re-used only when the mock that gave it answers
	// this run too: a run with other mocks is answered by them (a plan
	// run shows such instances as rerun).
	filter := &planner.Filter{Replace: t.otherMocks(store.State(), mocks)}
	for _, a := range r.targets {
		filter.Targets = append(filter.Targets, planner.Selector{Target: *a.target, Text: a.addr})
	}
	p, diags := t.plan(vars, store.State(), filter)
	if diags.HasErrors() {
		return fail(locateTargets(diags, r.targets))
	}
	failed := runFailures{instances: map[string]hcl.Diagnostics{}, outputs: map[string]hcl.Diagnostics{}}
	var pending map[string]bool // instances whose value the run does not know
	if r.command == "apply" {
		hook := &testHook{failed: map[string]bool{}, skipped: map[string]bool{}}
		out := executor.Run(t.m.ctx, p, executor.Options{
			Client: mockClients(mocks, t.answered), Offline: true, Store: store, Hook: hook, CallContext: t.m.abandon,
		})
		if t.m.ctx.Err() != nil {
			return fail(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Run interrupted",
				Detail: fmt.Sprintf("The test was interrupted while run %q applied; what it had not finished did not run.", r.name)}})
		}
		var other hcl.Diagnostics
		failed, other = sortFailures(out.Diagnostics, hook.failedInstances())
		if len(other) > 0 {
			return fail(other)
		}
		pending = hook.unrun()
	} else {
		// A plan: what it would run (or ask this run's mocks again) is
		// unknown; an output precondition that the recorded answers
		// already fail fails.
		pending = map[string]bool{}
		for _, c := range p.Changes {
			if c.Action != planner.Keep && c.Action != planner.Drop {
				pending[c.Address] = true
			}
		}
		for _, d := range diags {
			if addr, _, _ := strings.Cut(d.Detail, ": "); d.Summary == planner.OutputPreconditionFails {
				dd := *d
				dd.Severity = hcl.DiagError
				failed.outputs[addr] = append(failed.outputs[addr], &dd)
			}
		}
	}
	res.failures = append(res.failures, checkExpected(r, failed, instanceAddrs(p))...)
	w, diags := t.walk(r, vars, store.State(), filter.Targets, pending)
	if diags.HasErrors() {
		return fail(diags)
	}
	res.steps, res.outputs = recordedAnswers(w.Plan, store.State(), pending), shownOutputs(t.cfg, w.Outputs)
	if len(res.failures) > 0 {
		return res // the run failed already: its asserts would see what did not run
	}
	res.failures = append(res.failures, t.asserts(r, testContext(w))...)
	res.passed = len(res.failures) == 0
	return res
}

// answered notes the mock that answered an instance for a model.
func (t *tester) answered(inst addrs.StepInstance, model string, mock *mockModel) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answeredBy[inst.String()] = answeredBy{inst: inst, model: model, mock: mock}
}

// otherMocks selects the recorded instances whose answer came from
// another mock than the one the run gives their model (or gives none).
func (t *tester) otherMocks(st *state.State, mocks map[string]*mockModel) []planner.Selector {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []planner.Selector
	for _, addr := range slices.Sorted(maps.Keys(t.answeredBy)) {
		a := t.answeredBy[addr]
		if st.Steps[addr] == nil || mocks[a.model] == a.mock || !t.declared(a.inst.Step) {
			continue
		}
		out = append(out, instanceSelector(a.inst))
	}
	return out
}

// declared reports whether a step of the root module is still declared
// (a step in a module is left to the plan).
func (t *tester) declared(s addrs.Step) bool {
	if !s.Module.IsRoot() {
		return true
	}
	_, ok := t.cfg.Steps[s.Name]
	return ok
}

// instanceSelector selects an instance: a later sample alone, the first
// with the instance's others (a step without repeat has no samples to
// name).
func instanceSelector(a addrs.StepInstance) planner.Selector {
	return planner.Selector{Target: addrs.Target{Step: a.Step, Key: a.Key, Sampled: a.Sample > 0, Sample: a.Sample}, Text: a.String()}
}

// plan plans the configuration against the run's state, offline: the
// records the mocks made count as kept, and no catalog is read.
func (t *tester) plan(vars map[string]cty.Value, st *state.State, filter *planner.Filter) (*planner.Plan, hcl.Diagnostics) {
	return planner.Build(t.cfg, planner.Options{Vars: vars, State: st, Offline: true, Filter: filter, Context: t.m.ctx})
}

// checkMocks reports mocks of models the configuration does not declare,
// answers for undeclared steps, and tool calls of undeclared tools.
func (t *tester) checkMocks(mocks map[string]*mockModel) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(mocks)) {
		mock := mocks[name]
		if _, ok := t.cfg.Models[name]; !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Mock of an undeclared model",
				Detail:  fmt.Sprintf("The configuration declares no model %q for this mock_model to replace (a mock replaces a model of the root module).", name),
				Subject: mock.decl.Ptr()})
		}
		for _, a := range mock.answers {
			if name, ok := strings.CutPrefix(a.step, "step."); ok {
				if _, declared := t.cfg.Steps[name]; !declared {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Answer for an undeclared step",
						Detail:  fmt.Sprintf("The configuration declares no step %q for this answer.", name),
						Subject: a.decl.Ptr()})
				}
			}
			for _, tc := range a.toolCalls {
				if _, declared := t.cfg.Tools[tc.name]; !declared {
					diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Call of an undeclared tool",
						Detail:  fmt.Sprintf("The configuration declares no tool %q for this answer to call.", tc.name),
						Subject: tc.rng.Ptr()})
				}
			}
		}
	}
	return diags
}

// checkAddresses reports addresses of steps or expect_failures that name
// no step (in the module path they give) or output of the configuration.
func (t *tester) checkAddresses(list []expectedFailure) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, e := range list {
		undeclared := func(what string) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to an undeclared " + strings.Fields(what)[0],
				Detail: fmt.Sprintf("The configuration declares no %s.", what), Subject: e.rng.Ptr()})
		}
		if e.target == nil {
			name := strings.TrimPrefix(e.addr, "output.")
			if _, ok := t.cfg.Outputs[name]; !ok {
				undeclared(fmt.Sprintf("output %q", name))
			}
			continue
		}
		mod, path := t.cfg, ""
		for _, call := range e.target.Step.Module {
			if mod = mod.Child(call.Name); mod == nil {
				undeclared(fmt.Sprintf("module %q%s", call.Name, path))
				break
			}
			path = " in module." + call.Name
		}
		if mod == nil {
			continue
		}
		if _, ok := mod.Steps[e.target.Step.Name]; !ok {
			undeclared(fmt.Sprintf("step %q%s", e.target.Step.Name, path))
		}
	}
	return diags
}

// locateTargets places the plan's errors about an address of steps, which
// name no place, at that address in the run.
func locateTargets(diags hcl.Diagnostics, targets []expectedFailure) hcl.Diagnostics {
	for _, d := range diags {
		if d.Subject != nil {
			continue
		}
		for _, a := range targets {
			if strings.HasPrefix(d.Detail, a.addr+" ") || strings.Contains(d.Detail, " "+a.addr+" ") {
				d.Subject = a.rng.Ptr()
				break
			}
		}
	}
	return diags
}

// testHook collects the instances that failed in an apply, and those
// (or the steps) it skipped.
type testHook struct {
	executor.NopHook
	mu      sync.Mutex
	failed  map[string]bool
	skipped map[string]bool
}

func (h *testHook) StepSkipped(addr, _ string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.skipped[addr] = true
}

// unrun is what this apply did not leave recorded as answered: the failed
// instances and the skipped ones.
func (h *testHook) unrun() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := maps.Clone(h.skipped)
	for addr := range h.failed {
		out[addr] = true
	}
	return out
}

func (h *testHook) StepFailed(addr string, _ *state.Step, _ error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed[addr] = true
}

func (h *testHook) failedInstances() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.failed)
}

// runFailures is what failed in an apply: instances of steps, by
// address, and outputs whose preconditions failed, by output.NAME, each
// with its errors.
type runFailures struct {
	instances map[string]hcl.Diagnostics
	outputs   map[string]hcl.Diagnostics
}

// sortFailures files an apply's errors under what failed: an instance
// (the hook's failed instances, whose errors begin with their address) or
// an output's precondition. Errors of neither kind are returned apart.
func sortFailures(diags hcl.Diagnostics, instances map[string]bool) (runFailures, hcl.Diagnostics) {
	f := runFailures{instances: map[string]hcl.Diagnostics{}, outputs: map[string]hcl.Diagnostics{}}
	for addr := range instances {
		f.instances[addr] = nil
	}
	var other hcl.Diagnostics
	for _, d := range errorsOnly(diags) {
		if addr, _, _ := strings.Cut(d.Detail, ": "); d.Summary == planner.OutputPreconditionFailed && strings.HasPrefix(addr, "output.") {
			f.outputs[addr] = append(f.outputs[addr], d)
			continue
		}
		// The longest failed instance address the error begins with: a
		// key may hold ": " itself.
		var addr string
		for a := range instances {
			if len(a) > len(addr) && strings.HasPrefix(d.Detail, a+": ") {
				addr = a
			}
		}
		if addr == "" {
			other = append(other, d)
			continue
		}
		f.instances[addr] = append(f.instances[addr], d)
	}
	return f, other
}

// checkExpected compares what failed with expect_failures: a failure that
// no entry expects fails the run with its errors, and so does an entry
// that nothing failed for. A step entry without a key expects any of its
// instances to fail; with a key, that instance (any of its samples).
func checkExpected(r *testRun, f runFailures, insts map[string]addrs.StepInstance) hcl.Diagnostics {
	var out hcl.Diagnostics
	met := make([]bool, len(r.expected))
	for _, addr := range slices.Sorted(maps.Keys(f.instances)) {
		expected := false
		if inst, ok := insts[addr]; ok {
			for i, e := range r.expected {
				if e.target != nil && e.target.Matches(inst) {
					met[i], expected = true, true
				}
			}
		}
		if !expected {
			out = append(out, instanceErrors(addr, f.instances[addr])...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.outputs)) {
		i := slices.IndexFunc(r.expected, func(e expectedFailure) bool { return e.target == nil && e.addr == name })
		if i < 0 {
			out = append(out, f.outputs[name]...)
			continue
		}
		met[i] = true
	}
	for i, e := range r.expected {
		if met[i] {
			continue
		}
		what := "it did not fail"
		switch {
		case r.command == "plan" && e.target != nil:
			what = "a plan runs nothing (command = plan)"
		case r.command == "plan":
			what = "its preconditions pass with what is recorded"
		case e.target == nil:
			what = "its preconditions passed"
		case e.target.Whole():
			what = "its instances all succeeded"
		}
		out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing expected failure",
			Detail:  fmt.Sprintf("The run %q expects %s to fail, but %s.", r.name, e.addr, what),
			Subject: e.rng.Ptr()})
	}
	return out
}

// instanceErrors are the errors of a failed instance, or one that says it
// failed when the apply gave none of its own.
func instanceErrors(addr string, diags hcl.Diagnostics) hcl.Diagnostics {
	if len(diags) > 0 {
		return diags
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Step failed", Detail: addr + " failed."}}
}

// walk evaluates the configuration as the run left it: step.* as the
// state now records them, but unknown for the instances named in pending
// (or whose step is), and the outputs as they evaluate from those. It
// plans what the run planned (its steps, if it names any); when that
// fails (a step the run expected to fail to render fails again), without
// the steps the run failed or skipped and what depends on them.
func (t *tester) walk(r *testRun, vars map[string]cty.Value, st *state.State, targets []planner.Selector, pending map[string]bool) (*planner.Walk, hcl.Diagnostics) {
	filter := &planner.Filter{Targets: targets}
	p, diags := t.plan(vars, st, filter)
	if diags.HasErrors() && r.command == "apply" && len(pending) > 0 {
		excluded := map[string]bool{}
		for _, addr := range slices.Sorted(maps.Keys(pending)) {
			if sel, ok := t.stepSelector(addr); ok && !excluded[sel.Text] {
				excluded[sel.Text] = true
				filter.Excludes = append(filter.Excludes, sel)
			}
		}
		p, diags = t.plan(vars, st, filter)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	w, _ := walkValues(p, st, pending)
	return w, nil
}

// stepSelector selects the step of an instance address the run reported,
// through the instance the mocks saw, or the address itself.
func (t *tester) stepSelector(addr string) (planner.Selector, bool) {
	t.mu.Lock()
	a, ok := t.answeredBy[addr]
	t.mu.Unlock()
	step := a.inst.Step
	if !ok {
		target, err := addrs.ParseTarget(addr)
		if err != nil {
			return planner.Selector{}, false
		}
		step = target.Step
	}
	return planner.Selector{Target: addrs.Target{Step: step}, Text: step.String()}, true
}

// instanceAddrs maps the instance addresses of a plan to the instances.
func instanceAddrs(p *planner.Plan) map[string]addrs.StepInstance {
	out := make(map[string]addrs.StepInstance, len(p.Changes))
	for _, c := range p.Changes {
		out[c.Address] = c.Addr
	}
	return out
}

// testContext is where a run's asserts are evaluated: var.*, local.*,
// step.*, and output.* as the walk evaluated them (not as the state
// recorded them: in a plan run an output may depend on a step that would
// run).
func testContext(w *planner.Walk) *hcl.EvalContext {
	outs := maps.Clone(w.Outputs)
	for name := range w.Plan.Config.Outputs {
		if _, ok := outs[name]; !ok {
			outs[name] = cty.DynamicVal // not evaluated: it depends on what did not run
		}
	}
	return consoleContext(&planner.Walk{Plan: w.Plan, Scopes: w.Scopes, Outputs: outs}, &state.State{})
}

// asserts evaluates a run's assert blocks as conditions are evaluated in
// the configuration: each that does not hold is a failure with its
// message (hidden when it uses a sensitive value) and where it is.
func (t *tester) asserts(r *testRun, ctx *hcl.EvalContext) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, a := range r.asserts {
		c := &config.Condition{Condition: a.cond, ErrorMessage: a.msg, DeclRange: a.decl}
		switch result, msg, diags := planner.EvalCondition(c, ctx, hcl.DiagError); result {
		case planner.Invalid:
			out = append(out, diags...)
		case planner.NotKnown:
			out = append(out, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown condition value",
				Detail:  fmt.Sprintf("The condition of an assert of run %q depends on values known only after apply (a step this run did not run).", r.name),
				Subject: a.cond.Range().Ptr(), Expression: a.cond, EvalContext: ctx})
		case planner.Fails:
			out = append(out, planner.ConditionDiag(c, ctx, "Test assertion failed", "", msg, hcl.DiagError))
		}
	}
	return out
}

// shownOutputs are the outputs for -verbose, sensitive ones hidden.
func shownOutputs(cfg *config.Config, outs map[string]cty.Value) map[string]cty.Value {
	shown := map[string]cty.Value{}
	for name, v := range outs {
		if o := cfg.Outputs[name]; o != nil && o.Sensitive || v.ContainsMarked() {
			v = cty.StringVal("(sensitive value)")
		}
		shown[name] = v
	}
	return shown
}

// recordedAnswers lists what the state records of the plan's instances
// that the run knows (not pending), for -verbose.
func recordedAnswers(p *planner.Plan, st *state.State, pending map[string]bool) []stepAnswer {
	var out []stepAnswer
	for _, c := range p.Changes {
		if rec := st.Steps[c.Address]; rec != nil && c.Action != planner.Drop && !pending[c.Address] && !pending[c.Addr.Step.String()] {
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
