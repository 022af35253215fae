package planner

import (
	"context"
	"fmt"
	"sync"

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
	// Cost is the estimate of the instance's call; nil for Keep and Drop.
	Cost *InstanceCost
	// Cached is true for an instance kept with an answer from the shared
	// answer cache (Prior): applying the plan records it at Address.
	Cached bool
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
	// Workspace is the current workspace, promptform.workspace in
	// expressions; "" is the default one.
	Workspace string
	// Answers is the answer cache the state's backend shares, or nil:
	// a request it has an answer for is kept with that answer instead of
	// being asked again (not with -replace, not offline).
	Answers state.Answers
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
	// Catalogs are the catalogs the plan was checked against, where the
	// caller could fetch them; prices and output limits come from them.
	Catalogs map[*config.Gateway]*Catalog
	// Cost is what the plan expects its calls to cost.
	Cost CostEstimate
	// Moves are the records that moved blocks carry to new addresses:
	// the plan was made as if they had moved, and apply moves them first.
	Moves []MovedRecord
	// Workspace is the workspace the plan was made in ("" is the default).
	Workspace string
	// Answers is the shared answer cache the plan looked in, or nil.
	Answers state.Answers

	expanded []Addr // every instance of the steps that were planned
	// stepNS is the prefix of a module instance that holds each step
	// block, where its schema is keyed (every instance of a module holds
	// the same blocks).
	stepNS map[*config.Step]string
	// unknown holds UnknownStep's value of each step, made once;
	// recorded holds StepValue's value of each record (a stepRecord).
	unknown, recorded sync.Map
}

// Build plans cfg against the recorded state. It calls no model.
func Build(cfg *config.Config, opts Options) (*Plan, hcl.Diagnostics) {
	g, diags := BuildGraph(cfg, opts.Vars)
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
	st, moves, d := applyMoves(cfg, st, filter.Active())
	diags = append(diags, d...)
	if diags.HasErrors() {
		return nil, diags
	}
	p := &Plan{Config: cfg, Graph: g, Vars: opts.Vars, Outputs: map[string]cty.Value{}, Offline: opts.Offline, Filter: filter, Catalogs: opts.Catalogs, Moves: moves, Workspace: opts.Workspace, Answers: opts.Answers}
	diags = append(diags, p.resolveStructured()...)
	if diags.HasErrors() {
		return nil, diags
	}
	op, d := p.walk(opts, st)
	if op.stop != nil {
		return nil, op.stop
	}
	diags = append(diags, d...)
	seen := op.seen
	for _, a := range st.Addresses() {
		if !seen[a] && !filter.Active() {
			p.Changes = append(p.Changes, &Change{Address: a, Action: Drop, Reason: "no longer in the configuration", Prior: st.Steps[a]})
		}
	}
	p.Cost = p.estimate(st)
	p.OutputChanges = p.outputChanges(st)
	diags = append(diags, p.checkCatalog(opts.Catalogs)...)
	diags = append(diags, filter.checkKeys(g, p.expanded)...)
	diags = append(diags, checkMovedInstances(cfg, p.expanded)...)
	diags = append(diags, filter.checkReplace()...)
	return p, mergeRepeated(diags)
}

// Counts returns how many changes have each action.
func (p *Plan) Counts() map[Action]int {
	counts := map[Action]int{}
	for _, c := range p.Changes {
		counts[c.Action]++
	}
	return counts
}

// Cached returns how many instances the plan keeps with an answer from
// the shared answer cache.
func (p *Plan) Cached() int {
	n := 0
	for _, c := range p.Changes {
		if c.Cached {
			n++
		}
	}
	return n
}

// HasChanges reports whether applying the plan would do anything.
func (p *Plan) HasChanges() bool {
	if len(p.OutputChanges) > 0 || len(p.Moves) > 0 {
		return true
	}
	for _, c := range p.Changes {
		if c.Action != Keep || c.Cached {
			return true
		}
	}
	return false
}

// checkConditions type-checks a step's postconditions and asserts with
// self unknown: a misspelt attribute or a condition that cannot be true or
// false is an error when the plan is made, not after the call.
func (p *Plan) checkConditions(inst *Instance, n *Node, scope *Scope) hcl.Diagnostics {
	var diags hcl.Diagnostics
	conds := inst.Step.Postconditions
	for _, a := range inst.Step.Asserts {
		conds = append(conds[:len(conds):len(conds)], &a.Condition)
	}
	for _, c := range conds {
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
		// The message too: a misspelt function in it would otherwise show
		// only as a lost message once the condition fails.
		if c.ErrorMessage != nil {
			_, d := c.ErrorMessage.Value(ctx)
			diags = append(diags, d...)
		}
	}
	return diags
}
