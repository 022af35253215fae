package executor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// ChatClient sends one chat completion request, whole or streamed.
type ChatClient interface {
	Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
	ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error)
}

// DefaultParallelism is how many calls may be in flight at once by default.
const DefaultParallelism = 10

// Options configure a run.
type Options struct {
	// Parallelism bounds the calls in flight; DefaultParallelism when < 1.
	Parallelism int
	// Client returns the client for a model's requests.
	Client func(*planner.Model) ChatClient
	// Offline marks recorded responses as the offline model's.
	Offline bool
	// Store records each finished instance durably as it finishes; Run
	// commits it at the end. Required.
	Store *state.Store
	// Hook receives progress events; NopHook when nil.
	Hook Hook
	// CallContext bounds requests in flight. Cancelling Run's context
	// stops new requests from starting: queued calls are dropped, a call
	// waiting to retry (a backoff, or a wait the gateway asked for) ends
	// at once and its step is reported interrupted, and a client-mode
	// fallback chain does not move on; the requests on the network are
	// waited for. Cancelling CallContext also abandons those. Run's
	// context is used when nil.
	CallContext context.Context
	// Limits paces calls per model (max_concurrency, requests_per_minute
	// and the gateway's rate-limit answers); new limits when nil.
	Limits *Limits
}

// Result is what a run did.
type Result struct {
	Outputs     map[string]cty.Value
	Diagnostics hcl.Diagnostics
	Called      int // instances answered by a model and recorded
	Reused      int // instances whose recorded response was re-used
	Failed      int
	// Unrecorded counts instances answered by a model whose answer could
	// not be recorded (the state could not be saved): paid for, and lost.
	Unrecorded  int
	Skipped     int
	Interrupted bool
	// Unsaved is true when the state could not be written: the run stopped
	// starting calls, and answers received since the failure are lost.
	Unsaved bool
	// Halted says why the run stopped starting calls before the end (the
	// state could not be saved, the gateway refused the key), or "".
	Halted string
}

// Run applies the plan. A scheduler starts every node once all its
// dependencies have finished: locals, outputs and the rendering of requests
// happen at once, and calls go into a queue ordered by graph position and
// instance key, from which at most Parallelism run at a time. A failed
// node's dependents are skipped; every finished instance is saved to the
// state at once. At the end dropped instances are removed from the state and
// outputs recorded. Run returns when nothing is in flight.
func Run(ctx context.Context, plan *planner.Plan, opts Options) *Result {
	if opts.Parallelism < 1 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Hook == nil {
		opts.Hook = NopHook{}
	}
	if opts.CallContext == nil {
		opts.CallContext = ctx
	}
	if opts.Limits == nil {
		opts.Limits = NewLimits()
	}
	opts.Limits.watch(opts.Hook)
	s := newScheduler(ctx, plan, opts.Store.State(), opts)
	s.loop()
	s.finish()
	return &s.res
}

// finished is the outcome of one call, sent back to the scheduler.
type finished struct {
	c       *call
	out     *outcome
	err     error
	started time.Time
}

// call is one instance's request, ready to send.
type call struct {
	node      *nodeRun
	index     int // the instance's position in its step
	inst      *planner.Instance
	rendered  *planner.Rendered
	req       *gateway.Request
	hash      string
	canonical []byte
	model     *planner.Model
	schema    *resultSchema            // compiled, when the step has a schema
	tools     map[string]*resultSchema // the parameters of each tool offered, compiled
	redact    redactor                 // scrubs sensitive values from error text
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

type scheduler struct {
	ctx   context.Context
	plan  *planner.Plan
	st    *state.State
	opts  Options
	scope *planner.Scope
	nodes map[string]*nodeRun
	deps  map[string][]string // dependency -> dependents
	queue []*call
	ready []*nodeRun
	busy  int
	done  chan finished
	res   Result

	schemas map[string]*resultSchema // compiled once per schema block
	params  map[string]*resultSchema // compiled once per tool block
	secrets []string                 // the strings of the sensitive variables
}

func newScheduler(ctx context.Context, plan *planner.Plan, st *state.State, opts Options) *scheduler {
	s := &scheduler{
		ctx: ctx, plan: plan, st: st, opts: opts,
		scope: planner.NewScope(plan.Config, plan.Vars),
		nodes: map[string]*nodeRun{},
		deps:  map[string][]string{},
		done:  make(chan finished),
		res:   Result{Outputs: map[string]cty.Value{}},

		schemas: map[string]*resultSchema{},
		params:  map[string]*resultSchema{},
		secrets: sensitiveStrings(plan),
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
			s.callFinished(f)
		case <-tick:
		case <-stop:
			s.interrupt()
			stop = nil
		}
	}
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
	if s.ctx.Err() != nil || s.res.Halted != "" {
		return time.Time{}
	}
	held := s.queue[:0]
	for _, c := range s.queue {
		if s.busy >= s.opts.Parallelism {
			held = append(held, c)
			continue
		}
		ok, at := s.opts.Limits.take(c.model)
		if !ok {
			held = append(held, c)
			if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
				wake = at
			}
			continue
		}
		s.startCall(c)
	}
	s.queue = held
	return wake
}

// startCall sends one call in its own goroutine.
func (s *scheduler) startCall(c *call) {
	s.busy++
	s.opts.Hook.StepStarted(c.inst.Addr.String(), c.req.Model)
	go func() {
		started := time.Now()
		out, err := s.converse(c)
		s.opts.Limits.release(c.model)
		s.done <- finished{c: c, out: out, err: err, started: started}
	}()
}

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

// start evaluates a node whose dependencies have all finished. A node the
// plan's filter leaves out finishes at once, silently: nothing that runs
// depends on it.
func (s *scheduler) start(n *nodeRun) {
	if !s.plan.Filter.Runs(n.node.Addr) {
		s.finishNode(n)
		return
	}
	if cause := s.blocked(n); cause != "" {
		s.skip(n, cause)
		return
	}
	cfg := s.plan.Config
	ctx := s.scope.EvalContext(n.node.Refs, planner.Repetition{})
	switch n.node.Kind {
	case planner.KindLocal:
		v, diags := cfg.Locals[n.node.Name].Expr.Value(ctx)
		s.scope.SetLocal(n.node.Name, v)
		s.complete(n, diags)
	case planner.KindOutput:
		v, diags := planner.OutputValue(cfg.Outputs[n.node.Name], ctx)
		s.res.Outputs[n.node.Name] = v
		s.complete(n, diags)
	case planner.KindCheck:
		s.runCheck(cfg.Checks[n.node.Name], ctx)
		s.complete(n, nil)
	case planner.KindStep:
		s.startStep(n)
	}
}

// blocked returns why a node cannot run, or "".
func (s *scheduler) blocked(n *nodeRun) string {
	for _, d := range n.node.Deps {
		if s.nodes[d].failed {
			return d + " did not finish"
		}
	}
	if s.res.Halted != "" && n.node.Kind == planner.KindStep {
		return s.res.Halted
	}
	if s.ctx.Err() != nil && n.node.Kind == planner.KindStep {
		s.res.Interrupted = true
		return "interrupted"
	}
	return ""
}

// startStep expands a step, re-uses what is recorded and queues the rest.
func (s *scheduler) startStep(n *nodeRun) {
	step := s.plan.Config.Steps[n.node.Name]
	insts, diags := planner.Expand(step, n.node.Refs, s.scope)
	if diags.HasErrors() {
		s.complete(n, diags)
		return
	}
	n.insts, n.vals, n.over, n.pending = insts, make([]cty.Value, len(insts)), make([]bool, len(insts)), len(insts)
	for i, inst := range insts {
		if !s.plan.Filter.RunsInstance(inst.Addr) {
			n.vals[i] = s.plan.UnknownStep(step)
			if prior := s.st.Steps[inst.Addr.String()]; prior != nil {
				n.vals[i] = s.plan.StepValue(step, prior)
			}
			n.over[i] = true
			n.pending--
			continue
		}
		c, d := s.prepare(n, i, inst)
		diags = append(diags, d...)
		if c != nil {
			s.queue = append(s.queue, c)
		}
	}
	sort.SliceStable(s.queue, func(i, j int) bool { return s.queue[i].node.order < s.queue[j].node.order })
	s.addDiags(diags)
	if n.pending == 0 {
		s.complete(n, nil)
	}
}

// prepare renders an instance's request. A recorded identical request is
// re-used at once (nil call); otherwise the call to make is returned.
func (s *scheduler) prepare(n *nodeRun, i int, inst *planner.Instance) (*call, hcl.Diagnostics) {
	rendered, diags := s.plan.Render(inst, n.node.Refs, s.scope)
	if diags.HasErrors() {
		s.instanceFailed(n, i, nil)
		return nil, diags
	}
	c := &call{node: n, index: i, inst: inst, rendered: rendered, model: rendered.Model,
		redact: newRedactor(s.secrets, rendered)}
	var err error
	if c.req, err = rendered.Request(); err == nil {
		c.hash, c.canonical, err = planner.Hash(c.req)
	}
	if err == nil && rendered.Schema != nil {
		c.schema, err = s.compiled(rendered.Schema)
	}
	if err == nil {
		c.tools, err = s.toolParams(rendered.Tools)
	}
	if err != nil {
		return nil, s.instanceFailed(n, i, c.redact.error(fmt.Errorf("cannot encode request: %w", err)))
	}
	addr := inst.Addr.String()
	prior := s.st.Steps[addr]
	if action, _ := planner.Decide(prior, c.hash, c.req, s.opts.Offline); action == planner.Keep && !s.plan.Filter.Replaced(inst.Addr) {
		s.res.Reused++
		s.opts.Hook.StepFinished(addr, prior, true, 0)
		n.vals[i] = s.plan.StepValue(inst.Step, prior)
		n.over[i] = true
		n.pending--
		return nil, nil
	}
	return c, nil
}

// compiled returns the compiled JSON Schema of a schema block.
func (s *scheduler) compiled(sc *planner.Schema) (*resultSchema, error) {
	if c, ok := s.schemas[sc.Name]; ok {
		return c, nil
	}
	c, err := compileSchema(sc.Name, sc.JSON)
	if err != nil {
		return nil, err
	}
	s.schemas[sc.Name] = c
	return c, nil
}

// complete finishes a node and makes its dependents ready.
func (s *scheduler) complete(n *nodeRun, diags hcl.Diagnostics) {
	s.addDiags(diags)
	n.failed = n.failed || diags.HasErrors()
	if n.node.Kind == planner.KindStep && !n.failed {
		step := s.plan.Config.Steps[n.node.Name]
		s.scope.SetStep(n.node.Name, planner.InstancesValue(step, n.insts, n.vals))
	}
	s.finishNode(n)
}

func (s *scheduler) finishNode(n *nodeRun) {
	n.finished = true
	for _, d := range s.deps[n.node.Addr] {
		dn := s.nodes[d]
		dn.waiting--
		if dn.waiting == 0 {
			s.ready = append(s.ready, dn)
		}
	}
}

// skip finishes a node that does not run, or not to the end: each of its
// instances that has not finished is reported skipped.
func (s *scheduler) skip(n *nodeRun, cause string) {
	n.failed = true
	if n.node.Kind == planner.KindCheck {
		s.opts.Hook.CheckResult(n.node.Name, false, []string{"not evaluated: " + cause})
	}
	if n.node.Kind == planner.KindStep {
		for _, addr := range s.unfinished(n) {
			s.res.Skipped++
			s.opts.Hook.StepSkipped(addr, cause)
		}
	}
	s.finishNode(n)
}

// unfinished lists the instance addresses of a step that have not finished:
// of its expansion when it was expanded, else as the plan expected them.
func (s *scheduler) unfinished(n *nodeRun) []string {
	var out []string
	if n.insts != nil {
		for i, inst := range n.insts {
			if !n.over[i] {
				out = append(out, inst.Addr.String())
			}
		}
		return out
	}
	for _, c := range s.plan.Changes {
		if c.Action != planner.Drop && c.Addr.Step == n.node.Name {
			out = append(out, c.Address)
		}
	}
	if len(out) == 0 {
		out = append(out, n.node.Addr)
	}
	return out
}

func (s *scheduler) addDiags(diags hcl.Diagnostics) {
	s.res.Diagnostics = append(s.res.Diagnostics, diags...)
}

// finish removes dropped instances, records outputs and folds the
// journal into the state file.
func (s *scheduler) finish() {
	store := s.opts.Store
	var errs []error
	for _, c := range s.plan.Changes {
		if c.Action == planner.Drop && !s.res.Interrupted && !s.plan.Filter.Active() {
			errs = append(errs, store.Remove(c.Address))
		}
	}
	for name, v := range s.res.Outputs {
		if !v.IsWhollyKnown() {
			delete(s.res.Outputs, name) // its evaluation failed; the error says why
		}
	}
	if next, changed := outputsToRecord(s.st, s.plan, s.res.Outputs); changed {
		errs = append(errs, store.SetOutputs(next))
	}
	if store.Pending() > 0 {
		errs = append(errs, store.Commit())
	}
	for _, err := range errs {
		if err != nil {
			s.addDiags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot save state", Detail: err.Error()}})
		}
	}
	config.SortDiagnostics(s.res.Diagnostics)
}
