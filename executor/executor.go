package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// ChatClient sends one chat completion request.
type ChatClient interface {
	Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
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
	// StatePath is where the state is saved after each finished instance.
	StatePath string
	// Hook receives progress events; NopHook when nil.
	Hook Hook
	// CallContext bounds requests in flight. Cancelling Run's context
	// stops new steps from starting; cancelling CallContext also abandons
	// the calls in flight. Run's context is used when nil.
	CallContext context.Context
}

// Result is what a run did.
type Result struct {
	Outputs     map[string]cty.Value
	Diagnostics hcl.Diagnostics
	Called      int // instances answered by a model
	Reused      int // instances whose recorded response was re-used
	Failed      int
	Skipped     int
	Interrupted bool
}

// run is the shared state of one walk.
type run struct {
	plan  *planner.Plan
	st    *state.State
	opts  Options
	scope *planner.Scope
	sem   chan struct{}
	ctx   context.Context
	call  context.Context
	done  map[string]chan struct{}

	mu     sync.Mutex
	failed map[string]bool // nodes that failed or were skipped
	res    Result
}

// Run applies the plan: every node runs once all its dependencies have,
// at most Parallelism calls are in flight, a failed node's dependents are
// skipped, and every finished instance is saved to the state at once.
// Dropped instances are removed from the state and outputs recorded.
func Run(ctx context.Context, plan *planner.Plan, st *state.State, opts Options) *Result {
	if opts.Parallelism < 1 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Hook == nil {
		opts.Hook = NopHook{}
	}
	r := &run{
		plan: plan, st: st, opts: opts,
		scope:  planner.NewScope(plan.Config, plan.Vars),
		sem:    make(chan struct{}, opts.Parallelism),
		ctx:    ctx,
		call:   opts.CallContext,
		done:   map[string]chan struct{}{},
		failed: map[string]bool{},
		res:    Result{Outputs: map[string]cty.Value{}},
	}
	if r.call == nil {
		r.call = ctx
	}
	for _, addr := range plan.Graph.Order {
		r.done[addr] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, addr := range plan.Graph.Order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(r.done[addr])
			r.visit(plan.Graph.Nodes[addr])
		}()
	}
	wg.Wait()
	r.finish()
	return &r.res
}

// visit waits for a node's dependencies, then evaluates or runs it.
func (r *run) visit(n *planner.Node) {
	for _, d := range n.Deps {
		<-r.done[d]
	}
	if cause := r.blocked(n); cause != "" {
		r.skip(n, cause)
		return
	}
	var diags hcl.Diagnostics
	switch n.Kind {
	case planner.KindLocal:
		var v cty.Value
		v, diags = r.plan.Config.Locals[n.Name].Expr.Value(r.scope.EvalContext(n.Refs, planner.Repetition{}))
		r.scope.SetLocal(n.Name, v)
	case planner.KindOutput:
		var v cty.Value
		v, diags = r.plan.Config.Outputs[n.Name].Value.Value(r.scope.EvalContext(n.Refs, planner.Repetition{}))
		r.mu.Lock()
		r.res.Outputs[n.Name] = v
		r.mu.Unlock()
	case planner.KindStep:
		diags = r.runStep(n)
	}
	if diags.HasErrors() {
		r.markFailed(n.Addr)
	}
	r.addDiags(diags)
}

// blocked returns why a node cannot run: a failed dependency or an
// interruption; "" when it can.
func (r *run) blocked(n *planner.Node) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range n.Deps {
		if r.failed[d] {
			return d + " did not finish"
		}
	}
	if r.ctx.Err() != nil && n.Kind == planner.KindStep {
		r.res.Interrupted = true
		return "interrupted"
	}
	return ""
}

func (r *run) skip(n *planner.Node, cause string) {
	r.markFailed(n.Addr)
	if n.Kind != planner.KindStep {
		return
	}
	r.mu.Lock()
	r.res.Skipped++
	r.mu.Unlock()
	r.opts.Hook.StepSkipped(n.Addr, cause)
}

func (r *run) markFailed(addr string) {
	r.mu.Lock()
	r.failed[addr] = true
	r.mu.Unlock()
}

func (r *run) addDiags(diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	r.mu.Lock()
	r.res.Diagnostics = append(r.res.Diagnostics, diags...)
	r.mu.Unlock()
}

// runStep expands a step and runs its instances concurrently.
func (r *run) runStep(n *planner.Node) hcl.Diagnostics {
	s := r.plan.Config.Steps[n.Name]
	insts, diags := planner.Expand(s, n.Refs, r.scope)
	if diags.HasErrors() {
		return diags
	}
	vals := make([]cty.Value, len(insts))
	instDiags := make([]hcl.Diagnostics, len(insts))
	var wg sync.WaitGroup
	for i, inst := range insts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], instDiags[i] = r.runInstance(n, inst)
		}()
	}
	wg.Wait()
	complete := true
	for i, d := range instDiags {
		diags = append(diags, d...)
		complete = complete && vals[i] != cty.NilVal
	}
	if !complete && !diags.HasErrors() {
		r.markFailed(n.Addr) // interrupted: dependents are skipped, with no error of its own
	}
	if complete && !diags.HasErrors() {
		r.scope.SetStep(n.Name, planner.InstancesValue(s, insts, vals))
	}
	return diags
}

// runInstance renders an instance's request and either re-uses its record
// or sends it.
func (r *run) runInstance(n *planner.Node, inst *planner.Instance) (cty.Value, hcl.Diagnostics) {
	addr := inst.Addr.String()
	rendered, diags := planner.Render(inst, n.Refs, r.plan.Models, r.scope)
	if diags.HasErrors() {
		r.opts.Hook.StepFailed(addr, errors.New(diags.Error()))
		return cty.NilVal, diags
	}
	c := &call{inst: inst, model: rendered.Model}
	var err error
	if c.req, err = rendered.Request(); err == nil {
		c.hash, c.canonical, err = planner.Hash(c.req)
	}
	if err != nil {
		return cty.NilVal, r.fail(inst, err, "Cannot encode request")
	}
	r.mu.Lock()
	prior := r.st.Steps[addr]
	r.mu.Unlock()
	if action, _ := planner.Decide(prior, c.hash, c.req, r.opts.Offline); action == planner.Keep {
		r.mu.Lock()
		r.res.Reused++
		r.mu.Unlock()
		r.opts.Hook.StepFinished(addr, prior, true, 0)
		return planner.StepValue(prior), nil
	}
	rec, err := r.send(c)
	if err != nil && r.ctx.Err() != nil && errors.Is(err, context.Canceled) {
		r.mu.Lock()
		r.res.Interrupted = true
		r.res.Skipped++
		r.mu.Unlock()
		r.opts.Hook.StepSkipped(addr, "interrupted")
		return cty.NilVal, nil
	}
	if err != nil {
		return cty.NilVal, r.fail(inst, err, "Model request failed")
	}
	return planner.StepValue(rec), nil
}

// send makes the call within the parallelism bound and records it.
func (r *run) send(c *call) (*state.Step, error) {
	select {
	case r.sem <- struct{}{}:
	case <-r.ctx.Done():
		return nil, context.Canceled
	}
	defer func() { <-r.sem }()
	addr := c.inst.Addr.String()
	r.opts.Hook.StepStarted(addr, c.req.Model)
	started := time.Now()
	resp, err := r.opts.Client(c.model).Chat(r.call, c.req)
	if err == nil && len(resp.Choices) == 0 {
		err = fmt.Errorf("the response holds no choices (request id %q)", resp.RequestID)
	}
	if err != nil {
		return nil, err
	}
	rec := newRecord(c, resp, started, r.opts.Offline)
	r.mu.Lock()
	r.st.Steps[addr] = rec
	r.res.Called++
	err = r.save()
	r.mu.Unlock()
	r.opts.Hook.StepFinished(addr, rec, false, time.Since(started))
	return rec, err
}

// save writes the state; the caller holds r.mu.
func (r *run) save() error {
	if r.opts.StatePath == "" {
		return nil
	}
	return r.st.Save(r.opts.StatePath)
}

func (r *run) fail(inst *planner.Instance, err error, summary string) hcl.Diagnostics {
	addr := inst.Addr.String()
	r.mu.Lock()
	r.res.Failed++
	r.mu.Unlock()
	r.opts.Hook.StepFailed(addr, err)
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("%s: %s", addr, err),
		Subject:  inst.Step.DeclRange.Ptr(),
	}}
}

// finish removes dropped instances, records outputs and saves the state.
func (r *run) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, c := range r.plan.Changes {
		if c.Action == planner.Drop && r.ctx.Err() == nil {
			delete(r.st.Steps, c.Address)
			changed = true
		}
	}
	if len(r.failed) == 0 {
		changed = recordOutputs(r.st, r.plan, r.res.Outputs) || changed
	}
	if changed {
		if err := r.save(); err != nil {
			r.res.Diagnostics = append(r.res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot save state", Detail: err.Error()})
		}
	}
	sortDiags(r.res.Diagnostics)
}

// sortDiags orders diagnostics by file, line and column.
func sortDiags(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}
