package executor

import (
	"cmp"
	"context"
	"sort"
	"time"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// scheduler walks the graph of a run. It alone decides what runs when:
// it evaluates nodes whose dependencies have finished, queues the calls of
// step instances, starts them as -parallelism and each model's limits
// allow, hands each to the runner in its own goroutine, records what comes
// back to the store and skips what cannot run. Only the goroutine of Run
// changes it; the goroutine of a call uses the runner, the limits and the
// done channel alone.
type scheduler struct {
	ctx     context.Context
	plan    *planner.Plan
	st      *state.State
	opts    Options
	runner  *runner
	walk    *planner.Walk // the walk of the plan's graph, in apply mode
	nodes   map[string]*nodeRun
	deps    map[string][]string // dependency -> dependents
	queue   []*job
	ready   []*nodeRun
	busy    int
	done    chan finished
	workers *workers
	res     Result
	schemas *schemaCache
	secrets []string                   // the strings of the sensitive variables
	planned map[string]*planner.Change // the plan's changes, by address
	// allKept is true when the plan runs nothing: every value apply sees
	// is then the one the plan saw.
	allKept bool
	budget  *budget // nil without a budget
}

// nodeRun is the progress of one graph node.
type nodeRun struct {
	node     *planner.Node
	order    int
	waiting  int // dependencies not finished yet
	insts    []*planner.Instance
	vals     []cty.Value
	over     []bool // instances finished: recorded, re-used, failed or skipped
	pending  int    // instances still to finish
	failed   bool
	finished bool
}

// job is a call in the queue, with the node instance its outcome finishes.
type job struct {
	*call
	node  *nodeRun
	index int // the instance's position in its step
}

// finished is a job's outcome, sent back to the scheduler.
type finished struct {
	job *job
	out *outcome
}

func newScheduler(ctx context.Context, plan *planner.Plan, st *state.State, opts Options) *scheduler {
	s := &scheduler{
		ctx: ctx, plan: plan, st: st, opts: opts,
		runner:  newRunner(ctx, plan, opts),
		nodes:   map[string]*nodeRun{},
		deps:    map[string][]string{},
		done:    make(chan finished),
		workers: newWorkers(opts.Parallelism),
		res:     Result{Outputs: map[string]cty.Value{}},
		schemas: newSchemaCache(),
		secrets: sensitiveStrings(plan),
		planned: make(map[string]*planner.Change, len(plan.Changes)),
	}
	s.allKept = true
	for _, c := range plan.Changes {
		s.planned[c.Address] = c
		if c.Action == planner.Run || c.Action == planner.Rerun || c.Action == planner.RunIfChanged {
			s.allKept = false
		}
	}
	if !opts.Offline {
		s.budget = newBudget(plan, opts.Budget)
	}
	s.walk = &planner.Walk{
		Op: planner.OpApply, Plan: plan, Scopes: planner.NewScopes(plan), State: st, Filter: plan.Filter,
		Offline: opts.Offline, Outputs: s.res.Outputs, Check: s.check, Steps: applyOp{s},
	}
	for i, addr := range plan.Graph.Order {
		n := plan.Graph.Nodes[addr]
		s.nodes[addr] = &nodeRun{node: n, order: i, waiting: len(n.Deps)}
		for _, d := range n.Deps {
			s.deps[d] = append(s.deps[d], addr)
		}
		if len(n.Deps) == 0 {
			s.ready = append(s.ready, s.nodes[addr])
		}
	}
	return s
}

// newRunner returns the runner of a run's calls.
func newRunner(ctx context.Context, plan *planner.Plan, opts Options) *runner {
	return &runner{
		client:  opts.Client,
		hook:    opts.Hook,
		dir:     plan.Config.Dir,
		callCtx: opts.CallContext,
		stop:    ctx,
		offline: opts.Offline,
		value:   plan.AnswerValue,
		runTool: runTool,
	}
}

// loop runs until every node has finished and no call is in flight or
// queued. Between events it sleeps until the earliest time a model's pacing
// lets a queued call start.
func (s *scheduler) loop() {
	stop := s.ctx.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.startReady()
		wake := s.dispatch()
		if s.busy == 0 && len(s.queue) == 0 {
			break
		}
		var tick <-chan time.Time
		if len(s.queue) > 0 && (!wake.IsZero() || s.busy == 0) {
			timer.Reset(max(time.Until(wake), time.Millisecond))
			tick = timer.C
		}
		select {
		case f := <-s.done:
			s.busy--
			s.callFinished(f.job, f.out)
		case <-tick:
		case <-stop:
			s.interrupt()
			stop = nil
		}
	}
	s.skipUnfinished()
}

// skipUnfinished reports every node that has not finished as skipped, with
// the reason the run ended early.
func (s *scheduler) skipUnfinished() {
	cause := "interrupted"
	if s.res.Halted != "" {
		cause = s.res.Halted
	}
	for _, addr := range s.plan.Graph.Order {
		if n := s.nodes[addr]; !n.finished {
			s.skip(n, cause)
		}
	}
}

// startReady evaluates ready nodes in graph order until none is ready.
func (s *scheduler) startReady() {
	for len(s.ready) > 0 {
		sort.Slice(s.ready, func(i, j int) bool { return s.ready[i].order < s.ready[j].order })
		n := s.ready[0]
		s.ready = s.ready[1:]
		s.start(n)
	}
}

// dispatch starts queued calls, in queue order, while -parallelism and each
// model's limits allow. It returns the earliest time a held call could
// start, or the zero time when held calls wait for calls in flight.
func (s *scheduler) dispatch() (wake time.Time) {
	if s.budget.isStopped() {
		s.halt(haltBudget)
	}
	if s.ctx.Err() != nil || s.res.Halted != "" {
		return time.Time{}
	}
	held := s.queue[:0]
	for _, j := range s.queue {
		if s.busy >= s.opts.Parallelism {
			held = append(held, j)
			continue
		}
		ok, at := s.opts.Limits.take(j.model)
		if !ok {
			held = append(held, j)
			if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
				wake = at
			}
			continue
		}
		if !s.startCall(j) {
			return time.Time{} // the budget refused it: the run halted
		}
	}
	s.queue = held
	return wake
}

// startCall hands one call to the runner in its own goroutine, and reports
// whether it started. With a budget, the bound of the call's first request
// is reserved first, and the requests go through a tab of their own; when
// the budget refuses the call, the run halts.
func (s *scheduler) startCall(j *job) bool {
	r, t, err := s.runnerFor(j)
	if err != nil {
		s.opts.Limits.release(j.model)
		s.budgetRefused(j)
		if j.node.pending == 0 {
			s.complete(j.node, nil)
		}
		return false
	}
	s.busy++
	s.opts.Hook.StepStarted(j.inst.Address(), j.req.Model)
	s.workers.run(func() {
		out := r.run(j.call)
		t.close()
		s.opts.Limits.release(j.model)
		s.done <- finished{job: j, out: out}
	})
	return true
}

// workers runs calls on at most max goroutines that live as long as the
// run: a goroutine per call would grow its stack anew, copying it each
// time, in the deep decoding of every answer.
type workers struct {
	tasks  chan func()
	n, max int
}

// newWorkers makes room for max calls at once: run never blocks while no
// more than max are started and not finished, as the scheduler ensures.
func newWorkers(max int) *workers {
	max = cmp.Or(max, 1)
	return &workers{tasks: make(chan func(), max), max: max}
}

// run runs f on a worker, starting one while there are fewer than max.
func (w *workers) run(f func()) {
	if w.n < w.max {
		w.n++
		go w.work()
	}
	w.tasks <- f
}

func (w *workers) work() {
	for f := range w.tasks {
		f()
	}
}

// stop lets the workers end once the tasks given them are done.
func (w *workers) stop() { close(w.tasks) }

// halt stops starting calls for good; queued ones are reported skipped
// with the reason when the loop ends.
func (s *scheduler) halt(reason string) {
	if s.res.Halted == "" {
		s.res.Halted = reason
	}
	s.queue = nil
}

// interrupt stops dispatching: queued calls are dropped, and their steps
// are reported as skipped when the loop ends.
func (s *scheduler) interrupt() {
	s.res.Interrupted = true
	s.queue = nil
}
