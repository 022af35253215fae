package cli

import (
	"github.com/promptform/promptform/addrs"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// tally counts what a run does, step by step, from its hook's events: the
// summary at the end of an apply and the progress display read it. It is
// safe for concurrent use.
type tally struct {
	mu      sync.Mutex
	stepOf  map[string]string // instance address to step address, from the plan
	calls   map[string]bool   // instances that may call a model: the progress total
	steps   map[string]*stepCount
	order   []string // step addresses in plan order
	models  map[string]*modelUsage
	running map[string]bool
	settled map[string]bool // instances of calls that ended one way or another
	done    int             // of those, the answered, failed or re-used ones
	skips   int             // of those, the skipped ones
	failed  int             // instances failed, or answered but not recorded
	scored  int             // failed asserts of the calls' answers
	tokens  int             // tokens of this run's answers

	// changed is called, without the lock, after each event that may end
	// an instance; nil when nobody listens.
	changed func()
}

// stepCount is what happened to the instances of one step.
type stepCount struct {
	run, reused, failed, skipped, unrecorded int
	asserts                                  []*assertCount // in declaration order
}

// assertCount is how often one assert of a step passed.
type assertCount struct {
	name          string
	passed, total int
}

// newTally returns a tally of the run of plan p; p may be nil.
func newTally(p *planner.Plan) *tally {
	t := &tally{
		stepOf: map[string]string{}, calls: map[string]bool{}, steps: map[string]*stepCount{},
		models: map[string]*modelUsage{}, running: map[string]bool{}, settled: map[string]bool{},
	}
	if p == nil {
		return t
	}
	for _, c := range p.Changes {
		if c.Action == planner.Drop {
			continue
		}
		step := c.Addr.Step.String()
		t.stepOf[c.Address] = step
		if c.Action != planner.Keep {
			t.calls[c.Address] = true
		}
		s := t.step(step)
		if c.Rendered != nil && c.Rendered.Instance != nil && len(s.asserts) == 0 {
			for _, a := range c.Rendered.Instance.Step.Asserts {
				s.assert(a.Name)
			}
		}
	}
	return t
}

// callCount returns how many instances of the plan may call a model.
func (t *tally) callCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.calls)
}

// stepAddr returns the address of the step an instance (or sample)
// address belongs to.
func (t *tally) stepAddr(addr string) string {
	if t != nil {
		if s, ok := t.stepOf[addr]; ok {
			return s
		}
	}
	return addrs.StepOf(addr)
}

// step returns the count of a step, made on first use. The caller holds
// the lock (or owns the tally alone).
func (t *tally) step(addr string) *stepCount {
	s := t.steps[addr]
	if s == nil {
		s = &stepCount{}
		t.steps[addr] = s
		t.order = append(t.order, addr)
	}
	return s
}

// assert returns the count of one of the step's asserts, made on first use.
func (s *stepCount) assert(name string) *assertCount {
	for _, a := range s.asserts {
		if a.name == name {
			return a
		}
	}
	a := &assertCount{name: name}
	s.asserts = append(s.asserts, a)
	return a
}

// event counts one event that ends instance addr under the lock, then
// tells the listener; skipped is true when the instance did not run.
func (t *tally) event(addr string, skipped bool, count func(s *stepCount)) {
	t.mu.Lock()
	count(t.step(t.stepAddr(addr)))
	delete(t.running, addr)
	if t.calls[addr] && !t.settled[addr] {
		t.settled[addr] = true
		if skipped {
			t.skips++
		} else {
			t.done++
		}
	}
	changed := t.changed
	t.mu.Unlock()
	if changed != nil {
		changed()
	}
}

func (t *tally) started(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running[addr] = true
}

func (t *tally) finished(addr string, rec *state.Step, reused bool) {
	t.event(addr, false, func(s *stepCount) {
		if reused {
			s.reused++
		} else {
			s.run++
			t.used(rec)
		}
		for _, a := range rec.Asserts {
			c := s.assert(a.Name)
			c.total++
			switch {
			case a.Passed:
				c.passed++
			case t.calls[addr]:
				t.scored++
			}
		}
	})
}

func (t *tally) unrecorded(addr string, rec *state.Step) {
	t.event(addr, false, func(s *stepCount) {
		s.unrecorded++
		t.failed++
		t.used(rec)
	})
}

// stepFailed counts a failed instance, and the tokens of its answer when
// it was answered (rec not nil).
func (t *tally) stepFailed(addr string, rec *state.Step) {
	t.event(addr, false, func(s *stepCount) {
		s.failed++
		t.failed++
		if rec != nil {
			t.used(rec)
		}
	})
}

func (t *tally) skipped(addr string) {
	t.event(addr, true, func(s *stepCount) { s.skipped++ })
}

// used adds the tokens and the cost of an answer of this run. The caller
// holds the lock.
func (t *tally) used(rec *state.Step) {
	model := rec.Model
	if model == "" {
		model = "(unknown model)"
	}
	m := t.models[model]
	if m == nil {
		m = &modelUsage{Model: model}
		t.models[model] = m
	}
	m.Spend.add(rec)
	u := &m.Usage
	u.InputTokens += rec.Usage.InputTokens
	u.OutputTokens += rec.Usage.OutputTokens
	total := rec.Usage.TotalTokens
	if total == 0 {
		total = rec.Usage.InputTokens + rec.Usage.OutputTokens
	}
	u.TotalTokens += total
	u.CacheReadTokens += rec.Usage.CacheReadTokens
	u.CacheWriteTokens += rec.Usage.CacheWriteTokens
	u.CacheWrite1hTokens += rec.Usage.CacheWrite1hTokens
	t.tokens += total
}

// applySummary is what an apply did, for its end: per step, per assert and
// per model.
type applySummary struct {
	Steps  []stepSummary
	Models []modelUsage
	Spend  spend // what this run's answers cost, every model's
	Reused int   // instances re-used in all
	Wall   time.Duration
}

// stepSummary is what happened to one step's instances (samples with
// repeat), and how its asserts scored over every answer the run ends with,
// re-used ones included.
type stepSummary struct {
	Step                                     string
	Run, Reused, Failed, Skipped, Unrecorded int
	Asserts                                  []assertSummary
}

// assertSummary is how one assert of a step scored.
type assertSummary struct {
	Name          string
	Passed, Total int
}

// Rate is the share of answers that passed, from 0 to 1; 0 without any.
func (a assertSummary) Rate() float64 {
	if a.Total == 0 {
		return 0
	}
	return float64(a.Passed) / float64(a.Total)
}

// modelUsage is the tokens one model answered with in this run, and what
// they cost.
type modelUsage struct {
	Model string
	state.Usage
	Spend spend
}

// summary returns what the run did, wall being its duration.
func (t *tally) summary(wall time.Duration) applySummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	sum := applySummary{Wall: wall, Steps: []stepSummary{}, Models: []modelUsage{}}
	for _, addr := range t.order {
		s := t.steps[addr]
		ss := stepSummary{Step: addr, Run: s.run, Reused: s.reused, Failed: s.failed, Skipped: s.skipped,
			Unrecorded: s.unrecorded, Asserts: []assertSummary{}}
		for _, a := range s.asserts {
			if a.total > 0 {
				ss.Asserts = append(ss.Asserts, assertSummary{Name: a.name, Passed: a.passed, Total: a.total})
			}
		}
		sum.Steps = append(sum.Steps, ss)
		sum.Reused += s.reused
	}
	for _, m := range slices.Sorted(maps.Keys(t.models)) {
		mu := *t.models[m]
		sum.Models = append(sum.Models, mu)
		sum.Spend.USD += mu.Spend.USD
		sum.Spend.Priced += mu.Spend.Priced
		sum.Spend.Unpriced += mu.Spend.Unpriced
	}
	return sum
}

// countingHook counts a run's events in a tally, then passes them on to a
// view's hook.
type countingHook struct {
	executor.Hook
	t *tally
}

var _ executor.Hook = countingHook{}

func (h countingHook) StepStarted(addr, model string) {
	h.t.started(addr)
	h.Hook.StepStarted(addr, model)
}

func (h countingHook) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	h.Hook.StepFinished(addr, rec, reused, elapsed)
	h.t.finished(addr, rec, reused)
}

func (h countingHook) StepFailed(addr string, rec *state.Step, err error) {
	h.Hook.StepFailed(addr, rec, err)
	h.t.stepFailed(addr, rec)
}

func (h countingHook) StepUnrecorded(addr string, rec *state.Step, err error) {
	h.Hook.StepUnrecorded(addr, rec, err)
	h.t.unrecorded(addr, rec)
}

func (h countingHook) StepSkipped(addr, cause string) {
	h.Hook.StepSkipped(addr, cause)
	h.t.skipped(addr)
}

// modelRows are the rows of the model table, its header first: the tokens
// and the cost of each model, then the total.
func modelRows(sum applySummary) [][]string {
	rows := [][]string{{"Model", "Input tokens", "Output tokens", "Cost"}}
	var in, out int
	for _, m := range sum.Models {
		rows = append(rows, []string{m.Model, num(m.InputTokens), num(m.OutputTokens), m.Spend.text()})
		in, out = in+m.InputTokens, out+m.OutputTokens
	}
	return append(rows, []string{"Total", num(in), num(out), sum.Spend.text()})
}

// modelsJSON is the models of the apply_summary event: each one's tokens,
// and its cost_usd, null when none of its answers was priced.
func modelsJSON(models []modelUsage) []map[string]any {
	out := make([]map[string]any, 0, len(models))
	for _, m := range models {
		ev := map[string]any{
			"model": m.Model, "input_tokens": m.InputTokens, "output_tokens": m.OutputTokens, "total_tokens": m.TotalTokens,
			"cost_usd": m.Spend.usdJSON(),
		}
		if m.CacheReadTokens+m.CacheWriteTokens > 0 {
			ev["cache_read_tokens"], ev["cache_write_tokens"] = m.CacheReadTokens, m.CacheWriteTokens
		}
		if m.Spend.Unpriced > 0 {
			ev["unpriced_instances"] = m.Spend.Unpriced
		}
		out = append(out, ev)
	}
	return out
}
