package planner

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Action is what apply will do with a step instance.
type Action int

// Actions, each with its plan symbol.
const (
	Keep         Action = iota // identical request recorded: reuse the response
	Run                        // not recorded
	Rerun                      // recorded, but the request differs
	RunIfChanged               // depends on a step that will run; decided at apply time
	Drop                       // recorded, gone from the configuration
)

// Symbol returns the plan symbol of the action.
func (a Action) Symbol() string {
	return [...]string{" ", "+", "~", "?", "-"}[a]
}

// String names the action.
func (a Action) String() string {
	return [...]string{"keep", "run", "rerun", "run if inputs change", "drop"}[a]
}

// Change is the plan for one step instance.
type Change struct {
	Address   string
	Addr      Addr
	Action    Action
	Reason    string
	Rendered  *Rendered        // nil for Drop
	Request   *gateway.Request // nil while the request is not known
	Hash      string           // "" while the request is not known
	Canonical []byte
	Prior     *state.Step // the recorded instance, or nil
}

// Options are the inputs of a plan besides the configuration.
type Options struct {
	Vars  map[string]cty.Value
	State *state.State
	// Offline plans for the offline model: responses it recorded count as
	// kept. Otherwise they are rerun against the real gateway.
	Offline bool
	// Catalogs are the model catalogs of the gateways, where the caller
	// could fetch them; steps that will call a model are checked against
	// them.
	Catalogs map[*config.Gateway]*Catalog
	// Filter limits the plan to -target steps and their dependencies, less
	// -exclude steps and their dependents, and forces -replace instances.
	Filter *Filter
	// Context stops planning when it is done: Build then returns no plan
	// and a "Planning interrupted" error. nil never stops.
	Context context.Context
}

// Plan is the result of planning: every step instance with its action.
type Plan struct {
	Config    *config.Config
	Graph     *Graph
	Models    map[string]*Model
	Schemas   map[string]*Schema
	Tools     map[string]*Tool
	Fallbacks map[string]*Fallback
	Vars      map[string]cty.Value
	Changes   []*Change // instances in graph order, then drops
	Outputs   map[string]cty.Value
	// OutputChanges are the outputs whose recorded values applying the
	// plan changes, by name.
	OutputChanges []OutputChange
	Offline       bool
	Filter        *Filter // never nil

	expanded []Addr // every instance of the steps that were planned
}

// Build plans cfg against the recorded state. It calls no model.
func Build(cfg *config.Config, opts Options) (*Plan, hcl.Diagnostics) {
	g, diags := BuildGraph(cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	st := opts.State
	if st == nil {
		st = state.New()
	}
	filter := opts.Filter
	if filter == nil {
		filter = &Filter{}
	}
	diags = append(diags, filter.check(cfg)...)
	if diags.HasErrors() {
		return nil, diags
	}
	filter.resolve(g)
	scope := NewScope(cfg, opts.Vars)
	models, d := ResolveModels(cfg, scope)
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	p := &Plan{Config: cfg, Graph: g, Models: models, Vars: opts.Vars, Outputs: map[string]cty.Value{}, Offline: opts.Offline, Filter: filter}
	diags = append(diags, p.resolveStructured(scope)...)
	if diags.HasErrors() {
		return nil, diags
	}
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	willRun := map[string]bool{}
	seen := map[string]bool{}
	for _, addr := range g.Order {
		n := g.Nodes[addr]
		if !filter.Runs(addr) {
			continue
		}
		if d := interrupted(ctx); d != nil {
			return nil, d
		}
		switch n.Kind {
		case KindLocal:
			v, d := n.evalIn(cfg.Locals[n.Name].Expr, scope)
			diags = append(diags, d...)
			scope.SetLocal(n.Name, v)
		case KindOutput:
			v, d := OutputValue(cfg.Outputs[n.Name], scope.EvalContext(n.Refs, Repetition{}))
			diags = append(diags, d...)
			p.Outputs[n.Name] = v
		case KindStep:
			d, stop := p.planStep(ctx, n, scope, st, willRun, seen)
			if stop != nil {
				return nil, stop
			}
			diags = append(diags, d...)
		}
	}
	for _, a := range st.Addresses() {
		if !seen[a] && !filter.Active() {
			p.Changes = append(p.Changes, &Change{Address: a, Action: Drop, Reason: "no longer in the configuration", Prior: st.Steps[a]})
		}
	}
	p.OutputChanges = p.outputChanges(st)
	diags = append(diags, p.checkCatalog(opts.Catalogs)...)
	diags = append(diags, filter.checkKeys(cfg, p.expanded)...)
	diags = append(diags, filter.checkReplace()...)
	return p, mergeRepeated(diags)
}

// evalIn evaluates a local's or output's expression.
func (n *Node) evalIn(expr hcl.Expression, scope *Scope) (cty.Value, hcl.Diagnostics) {
	return expr.Value(scope.EvalContext(n.Refs, Repetition{}))
}

// planStep plans every instance of a step. stop is the error of an
// interrupt between instances; the plan is then incomplete.
func (p *Plan) planStep(ctx context.Context, n *Node, scope *Scope, st *state.State, willRun, seen map[string]bool) (diags, stop hcl.Diagnostics) {
	s := p.Config.Steps[n.Name]
	insts, diags := Expand(s, n.Refs, scope)
	for _, inst := range insts {
		p.expanded = append(p.expanded, inst.Addr)
	}
	vals := make([]cty.Value, len(insts))
	instDiags := instanceDiags{step: n.Name}
	for i, inst := range insts {
		if d := interrupted(ctx); d != nil {
			return nil, d
		}
		seen[inst.Addr.String()] = true
		vals[i] = p.UnknownStep(s)
		if !p.Filter.RunsInstance(inst.Addr) {
			if prior := st.Steps[inst.Addr.String()]; prior != nil {
				vals[i] = p.StepValue(s, prior)
			}
			continue
		}
		c, d := p.planInstance(inst, n, scope, st, willRun)
		instDiags.add(inst, d)
		if c == nil {
			continue
		}
		p.Changes = append(p.Changes, c)
		vals[i] = p.ChangeValue(s, c)
		if c.Action != Keep {
			willRun[n.Name] = true
		}
	}
	diags = append(diags, instDiags.diagnostics()...)
	if diags.HasErrors() {
		// Dependents cannot be planned precisely; let them see unknowns.
		scope.SetStep(n.Name, cty.DynamicVal)
		return diags, nil
	}
	scope.SetStep(n.Name, InstancesValue(s, insts, vals))
	return diags, nil
}

func (p *Plan) planInstance(inst *Instance, n *Node, scope *Scope, st *state.State, willRun map[string]bool) (*Change, hcl.Diagnostics) {
	r, diags := p.Render(inst, n.Refs, scope)
	diags = append(diags, p.checkConditions(inst, n, scope)...)
	if diags.HasErrors() {
		return nil, diags
	}
	c := &Change{Address: inst.Addr.String(), Addr: inst.Addr, Rendered: r, Prior: st.Steps[inst.Addr.String()]}
	if !r.Known {
		c.Action, c.Reason = Run, "new"
		switch {
		case c.Prior != nil && p.Filter.Replaced(inst.Addr):
			c.Action, c.Reason = Rerun, "-replace"
		case c.Prior != nil:
			c.Action, c.Reason = RunIfChanged, upstreamReason(n, willRun)
		}
		return c, diags
	}
	req, err := r.Request()
	if err == nil {
		c.Request = req
		c.Hash, c.Canonical, err = Hash(req)
	}
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot encode request", Detail: err.Error(), Subject: inst.Step.DeclRange.Ptr()})
	}
	c.Action, c.Reason = Decide(c.Prior, c.Hash, req, p.Offline)
	if c.Action != Run && p.Filter.Replaced(inst.Addr) {
		c.Action, c.Reason = Rerun, "-replace"
	}
	return c, diags
}

// Decide compares a rendered request with its record: the action and why.
func Decide(prior *state.Step, hash string, req *gateway.Request, offline bool) (Action, string) {
	switch {
	case prior == nil:
		return Run, "new"
	case strings.HasPrefix(prior.Failed, "postcondition:"):
		return Rerun, "failed a postcondition"
	case prior.Failed != "":
		return Rerun, "failed last time"
	case prior.RequestHash == hash && (offline || !prior.Offline):
		return Keep, "unchanged"
	case prior.RequestHash == hash:
		return Rerun, "recorded by the offline model"
	}
	var old gateway.Request
	if err := json.Unmarshal(prior.Request, &old); err != nil {
		return Rerun, "request changed"
	}
	switch {
	case old.Model != req.Model:
		return Rerun, "model changed"
	case !jsonEqual(old.Messages, req.Messages):
		return Rerun, "prompt changed"
	}
	return Rerun, "parameters changed"
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// upstreamReason names the upstream steps that will run.
func upstreamReason(n *Node, willRun map[string]bool) string {
	var names []string
	for _, d := range n.Deps {
		if name, ok := strings.CutPrefix(d, "step."); ok && willRun[name] && !slices.Contains(names, d) {
			names = append(names, d)
		}
	}
	if len(names) == 0 {
		return "inputs known after apply"
	}
	reason := "upstream " + names[0]
	for _, nm := range names[1:] {
		reason += ", " + nm
	}
	return reason + " will run"
}

// Counts returns how many changes have each action.
func (p *Plan) Counts() map[Action]int {
	counts := map[Action]int{}
	for _, c := range p.Changes {
		counts[c.Action]++
	}
	return counts
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	if len(p.OutputChanges) > 0 {
		return true
	}
	for _, c := range p.Changes {
		if c.Action != Keep {
			return true
		}
	}
	return false
}

// checkConditions type-checks a step's postconditions with self unknown:
// a misspelt attribute or a condition that cannot be true or false is an
// error when the plan is made, not after the call.
func (p *Plan) checkConditions(inst *Instance, n *Node, scope *Scope) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range inst.Step.Postconditions {
		ctx := scope.EvalContext(n.Refs, inst.Rep)
		ctx.Variables[config.RootSelf] = p.UnknownStep(inst.Step)
		v, d := c.Condition.Value(ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if _, err := convert.Convert(v, cty.Bool); err != nil {
			diags = append(diags, exprDiag(c.Condition, "Invalid condition",
				fmt.Sprintf("A condition must be true or false, not a %s.", v.Type().FriendlyName())))
		}
	}
	return diags
}
