package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// runCompare compares the recorded answers of the working directory with a
// baseline state file: pass rates per step and assert, the instances whose
// asserts went from pass to fail (regressions) or back (fixes), and those
// whose output changed. Two states that share no instance are an error:
// there is nothing to compare, and a gate must not pass on nothing.
func runCompare(m *Meta, args []string) int {
	fs := m.newFlags("compare", "compare [-json] [-fail-on-regression] BASELINE\n\n"+
		"  Compares the state with BASELINE, another state file (for example\n"+
		"  git show main:.promptform/state.json > base.json): pass rates per step\n"+
		"  and assert, regressions, fixes and changed outputs. An instance whose\n"+
		"  step failed (its answer refused) passes none of its step's asserts.")
	jsonOut := fs.Bool("json", false, "print machine-readable events, one JSON object per line")
	failOnRegression := fs.Bool("fail-on-regression", false, "exit 1 when any instance regressed")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := newCompareView(*jsonOut, m.view())
	if fs.NArg() == 0 {
		return view.fail("No baseline given", "compare needs a baseline state file: promptform compare BASELINE, "+
			"for example after git show main:.promptform/state.json > base.json.")
	}
	base, diags := loadBaseline(fs.Arg(0))
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	cur, diags := m.loadState()
	view.diags(diags)
	if diags.HasErrors() {
		return 1
	}
	if len(cur.Steps) == 0 {
		return view.fail("Nothing to compare", fmt.Sprintf("The state in %s records no step instances. "+
			"Run promptform apply first, or give -chdir the pipeline's directory.", m.statePath()))
	}
	c := compareStates(base, cur, m.stepRanks())
	if c.inBoth == 0 {
		return view.fail("Nothing to compare", noCommonInstance(c, fs.Arg(0), m.statePath()))
	}
	view.comparison(c)
	if *failOnRegression && len(c.regressions) > 0 {
		return view.fail("Regressions against the baseline", fmt.Sprintf(
			"%s against %s, and -fail-on-regression makes that an error.",
			planner.Plural(len(c.regressions), "regression"), fs.Arg(0)))
	}
	return 0
}

// loadBaseline reads a baseline state file. Unlike the working
// directory's state, a missing file is an error: there is nothing to
// compare with.
func loadBaseline(path string) (*state.State, hcl.Diagnostics) {
	bad := func(detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the baseline", Detail: detail}}
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bad(fmt.Sprintf("The baseline %s does not exist. Give a state file, for example after git show main:.promptform/state.json > base.json.", path))
	case err != nil:
		return nil, bad(err.Error() + ".")
	case info.IsDir():
		return nil, bad(fmt.Sprintf("The baseline %s is a directory; give a state file, such as %s.", path, state.Path(path)))
	}
	st, err := state.Load(path)
	if err != nil {
		return nil, bad(baselineProblem(err))
	}
	return st, nil
}

// stateAdvice starts the advice of state's errors for a damaged working
// state (restore it, or move it away or edit it); baselineProblem replaces
// it.
const stateAdvice = "Restore it from version control or a backup"

// baselineProblem is the detail of a baseline that state.Load refused.
// The advice for a damaged working state (move it away to start from an
// empty state, delete an entry) is wrong for a file that is only read: a
// baseline is written again from the state it stands for.
func baselineProblem(err error) string {
	msg := err.Error()
	i := strings.Index(msg, stateAdvice)
	if i < 0 {
		return msg + "."
	}
	return msg[:i] + "Write the baseline again from the state to compare with, " +
		"for example git show main:.promptform/state.json > base.json."
}

// noCommonInstance is the detail of a comparison of two states that share
// no instance: a baseline that records none, or one of another pipeline
// (or a -chdir to the wrong directory).
func noCommonInstance(c *comparison, baseline, statePath string) string {
	if c.onlyBase == 0 {
		return fmt.Sprintf("The baseline %s records no step instances.", baseline)
	}
	return fmt.Sprintf("The state in %s and the baseline %s share no instance (%d only in the baseline, %d only now): "+
		"-chdir names another directory, or the baseline is of another pipeline.", statePath, baseline, c.onlyBase, c.onlyNow)
}

// stepRanks returns the position of each step in the configuration's graph
// (dependencies first), or nil without a valid configuration.
func (m *Meta) stepRanks() map[string]int {
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		return nil
	}
	g, diags := planner.BuildGraph(cfg, nil)
	if diags.HasErrors() {
		return nil
	}
	rank := make(map[string]int, len(g.Order))
	for i, addr := range g.Order {
		rank[addr] = i
	}
	return rank
}

// comparison is what compare finds between a baseline state and the
// current one. Instances are records: with repeat, each sample is one.
type comparison struct {
	steps       []*stepRates // in the order of the graph
	regressions []instanceChange
	fixes       []instanceChange
	changed     []changedOutput
	inBoth      int
	onlyBase    int // instances only in the baseline
	onlyNow     int // instances only in the current state
	// baseSpend and nowSpend are what every record of each side cost.
	baseSpend, nowSpend spend
}

// passCount is how many of a step's instances, or of an assert's scores,
// passed, of how many.
type passCount struct{ passed, total int }

// rate is the share that passed; ok is false when there is none.
func (p passCount) rate() (r float64, ok bool) {
	if p.total == 0 {
		return 0, false
	}
	return float64(p.passed) / float64(p.total), true
}

// add counts one more, passed or not.
func (p *passCount) add(passed bool) {
	p.total++
	if passed {
		p.passed++
	}
}

// stepRates are a step's pass rates on both sides, and its asserts'. An
// instance passes when it did not fail and every assert of it passed. An
// instance whose step failed has no scores (its answer was refused before
// its asserts were scored): it counts as failing every assert that its
// side scored, so that an assert's rate has the step's denominator.
type stepRates struct {
	step                    string
	base, now               passCount
	asserts                 []*assertRates // in the order they are declared
	assertsByName           map[string]*assertRates
	baseRefused, nowRefused int // the instances whose step failed
}

// assertRates are an assert's pass rates on both sides.
type assertRates struct {
	name      string
	base, now passCount
}

// instanceChange is an instance that passed an assert on one side and
// failed it on the other; with no assert, one whose answer was refused (a
// postcondition failed) on one side only. message is why it fails, on the
// side where it fails. A regression of an assert that the baseline did not
// score, because the step failed there, has baseFailed: why it failed.
type instanceChange struct {
	address, step, assert, message string
	baseFailed                     string
}

// changedOutput is an instance whose output or result differs.
type changedOutput struct {
	address, step string
	sensitive     bool // the instance uses a sensitive value on either side
}

// compareStates compares the records of base and now, instance by
// instance; rank orders the steps (see stepRanks).
func compareStates(base, now *state.State, rank map[string]int) *comparison {
	all := base.Addresses()
	for addr := range now.Steps {
		if base.Steps[addr] == nil {
			all = append(all, addr)
		}
	}
	sortInstances(all, rank)
	c := &comparison{}
	rates := map[string]*stepRates{}
	for _, addr := range all {
		b, n := base.Steps[addr], now.Steps[addr]
		step := addrs.StepOf(addr)
		sr := rates[step]
		if sr == nil {
			sr = &stepRates{step: step, assertsByName: map[string]*assertRates{}}
			rates[step] = sr
			c.steps = append(c.steps, sr)
		}
		sr.count(n, func(r *assertRates) *passCount { return &r.now }, &sr.now, &sr.nowRefused)
		sr.count(b, func(r *assertRates) *passCount { return &r.base }, &sr.base, &sr.baseRefused)
		if b != nil {
			c.baseSpend.add(b)
		}
		if n != nil {
			c.nowSpend.add(n)
		}
		switch {
		case b == nil:
			c.onlyNow++
		case n == nil:
			c.onlyBase++
		default:
			c.inBoth++
			c.diff(addr, step, b, n)
		}
	}
	for _, sr := range c.steps {
		sr.countRefused()
	}
	return c
}

// count counts rec, when there is one, into a side of the step's rates;
// refused counts it when its step failed.
func (sr *stepRates) count(rec *state.Step, side func(*assertRates) *passCount, step *passCount, refused *int) {
	if rec == nil {
		return
	}
	passed := rec.Failed == ""
	if !passed {
		*refused++
	}
	for _, a := range rec.Asserts {
		r := sr.assertsByName[a.Name]
		if r == nil {
			r = &assertRates{name: a.Name}
			sr.assertsByName[a.Name] = r
			sr.asserts = append(sr.asserts, r)
		}
		side(r).add(a.Passed)
		passed = passed && a.Passed
	}
	step.add(passed)
}

// countRefused counts the instances whose step failed as failing each
// assert their side scored. An assert a side never scored stays without a
// rate there: it may be one the side's configuration did not declare.
func (sr *stepRates) countRefused() {
	for _, a := range sr.asserts {
		if a.base.total > 0 {
			a.base.total += sr.baseRefused
		}
		if a.now.total > 0 {
			a.now.total += sr.nowRefused
		}
	}
}

// diff notes what changed in one instance recorded on both sides.
func (c *comparison) diff(addr, step string, b, n *state.Step) {
	switch {
	case b.Failed == "" && n.Failed != "":
		c.regressions = append(c.regressions, instanceChange{address: addr, step: step, message: n.Failed})
	case b.Failed != "" && n.Failed == "":
		c.unfailed(addr, step, b, n)
	}
	c.diffAsserts(addr, step, b, n)
	if b.Output != n.Output || !state.SameJSON(b.Result, n.Result) {
		c.changed = append(c.changed, changedOutput{address: addr, step: step, sensitive: b.Sensitive || n.Sensitive})
	}
}

// unfailed notes an instance whose step failed in the baseline and no
// longer does: a fix when every assert of it passes now, else a
// regression of each assert that fails now. The baseline scored none (its
// answer was refused), so none of them failed there: a gate must not pass
// an assert that fails now and did not before.
func (c *comparison) unfailed(addr, step string, b, n *state.Step) {
	failing := false
	for _, na := range n.Asserts {
		if na.Passed {
			continue
		}
		failing = true
		if !slices.ContainsFunc(b.Asserts, func(ba state.Assert) bool { return ba.Name == na.Name }) {
			c.regressions = append(c.regressions, instanceChange{address: addr, step: step, assert: na.Name, message: na.Message, baseFailed: b.Failed})
		}
	}
	if !failing {
		c.fixes = append(c.fixes, instanceChange{address: addr, step: step, message: b.Failed})
	}
}

// diffAsserts notes the asserts that both sides scored and that passed on
// one side only.
func (c *comparison) diffAsserts(addr, step string, b, n *state.Step) {
	for _, na := range n.Asserts {
		i := slices.IndexFunc(b.Asserts, func(ba state.Assert) bool { return ba.Name == na.Name })
		switch {
		case i < 0 || b.Asserts[i].Passed == na.Passed:
		case na.Passed:
			c.fixes = append(c.fixes, instanceChange{address: addr, step: step, assert: na.Name, message: b.Asserts[i].Message})
		default:
			c.regressions = append(c.regressions, instanceChange{address: addr, step: step, assert: na.Name, message: na.Message})
		}
	}
}

// instanceOrder is where an instance address sorts: by step, then by key
// (count indexes as numbers), then by sample.
type instanceOrder struct {
	step   string
	inst   string // the instance address, without its sample index
	num    float64
	isNum  bool // the key is a number (count): num holds it
	sample int
}

func newInstanceOrder(addr string) instanceOrder {
	inst, sample := addrs.SplitSample(addr)
	o := instanceOrder{step: inst, inst: inst, sample: sample}
	if t, err := addrs.ParseTarget(inst); err == nil {
		o.step = t.Step.String()
		if !t.Whole() && t.Key.Type() == cty.Number {
			o.num, _ = t.Key.AsBigFloat().Float64()
			o.isNum = true
		}
	}
	return o
}

// sortInstances sorts instance addresses for display: steps in the order
// of rank (a step rank does not know comes after those it does, by
// address), the instances of a step by key (count indexes as numbers),
// the samples of an instance by index.
func sortInstances(list []string, rank map[string]int) {
	orders := make(map[string]instanceOrder, len(list))
	for _, a := range list {
		orders[a] = newInstanceOrder(a)
	}
	stepRank := func(step string) int {
		if r, ok := rank[step]; ok {
			return r
		}
		return len(rank)
	}
	slices.SortFunc(list, func(a, b string) int {
		oa, ob := orders[a], orders[b]
		if c := cmp.Compare(stepRank(oa.step), stepRank(ob.step)); c != 0 {
			return c
		}
		if c := strings.Compare(oa.step, ob.step); c != 0 {
			return c
		}
		if oa.isNum && ob.isNum && oa.num != ob.num {
			return cmp.Compare(oa.num, ob.num)
		}
		if c := strings.Compare(oa.inst, ob.inst); c != 0 {
			return c
		}
		return cmp.Compare(oa.sample, ob.sample)
	})
}
