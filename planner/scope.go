package planner

import (
	"maps"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Scope holds the values expressions of one module instance can see:
// variables, models and fallback chains, the local values computed so far,
// the step values known so far (recorded or unknown) and the outputs of
// the module instances it calls. A Scope is safe for concurrent use.
type Scope struct {
	mu     sync.RWMutex
	mod    *ModuleInstance // nil for a scope made by NewScope
	vars   map[string]cty.Value
	models map[string]map[string]cty.Value // model.NAME and fallback.NAME, by root and name; never written after the scope is made
	locals map[string]cty.Value
	steps  map[string]cty.Value
	outs   map[*ModuleInstance]map[string]cty.Value // outputs of the module instances called, as evaluated so far
	shown  map[string][]Segment                     // how the caller rendered variables not known yet, for the plan
	ws     string                                   // promptform.workspace
	// ver counts the changes to the scope; base caches the context of
	// one list of references at one version (see EvalContext).
	ver    uint64
	baseMu sync.Mutex
	base   struct {
		refs *config.Ref // the list's first reference: its identity
		n    int
		ver  uint64
		ctx  *hcl.EvalContext
	}
	funcs map[string]function.Function
}

// Sensitive is the mark of values that come from a sensitive variable, or
// from the answer of a step whose request used one: they are sent and
// recorded, but never shown.
const Sensitive = marks("sensitive")

type marks string

// NewScope returns a scope of the root module over the given variable
// values, with the functions of the configuration directory and the values
// of cfg's model and fallback blocks (ModelVal). Values of sensitive
// variables carry the Sensitive mark, and so does everything computed from
// them.
func NewScope(cfg *config.Config, vars map[string]cty.Value) *Scope {
	return newModuleScope(&ModuleInstance{Config: cfg, Vars: vars}, nil)
}

// newModuleScope returns the scope of a module instance, its variables as
// known before any step runs; models are the values of the model and
// fallback blocks when they are known already (nil: computed here).
func newModuleScope(mi *ModuleInstance, models map[string]map[string]cty.Value) *Scope {
	cfg := mi.Config
	marked := make(map[string]cty.Value, len(mi.Vars))
	for name, v := range mi.Vars {
		if decl := cfg.Variables[name]; decl != nil && decl.Sensitive {
			v = v.Mark(Sensitive)
		}
		marked[name] = v
	}
	s := &Scope{
		mod:    mi,
		vars:   marked,
		locals: map[string]cty.Value{},
		steps:  map[string]cty.Value{},
		outs:   map[*ModuleInstance]map[string]cty.Value{},
		funcs:  config.Functions(cfg.Dir),
	}
	if models == nil {
		models = modelValues(cfg, mi.Prefix(), s.VarContext())
	}
	s.models = models
	return s
}

// workspace is the name of the walk's workspace: the default one unless
// the plan says otherwise.
func (s *Scope) workspace() string {
	if s.ws == "" {
		return state.DefaultWorkspace
	}
	return s.ws
}

// SetVar records the value of a variable of a module instance, as its
// module block gives it.
func (s *Scope) SetVar(name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ver++
	s.vars[name] = v
}

// SetVarDisplay records how the caller rendered a variable that is not
// known yet, so that the plan can show its known parts.
func (s *Scope) SetVarDisplay(name string, segs []Segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ver++
	if s.shown == nil {
		s.shown = map[string][]Segment{}
	}
	s.shown[name] = segs
}

// VarDisplays returns the renderings SetVarDisplay recorded, by variable
// name; nil when there are none.
func (s *Scope) VarDisplays() map[string][]Segment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return maps.Clone(s.shown)
}

// SetModuleOutput records an output of a module instance this scope's
// module calls.
func (s *Scope) SetModuleOutput(ci *ModuleInstance, name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ver++
	if s.outs[ci] == nil {
		s.outs[ci] = map[string]cty.Value{}
	}
	s.outs[ci][name] = v
}

// moduleValue is the value of module.NAME: the outputs of the call's
// instance as an object, or an object (for_each) or tuple (count) of
// them. Outputs not evaluated yet are unknown. The caller holds s.mu.
func (s *Scope) moduleValue(name string) cty.Value {
	if s.mod == nil || s.mod.Config.Modules[name] == nil {
		return cty.DynamicVal
	}
	call := s.mod.Config.Modules[name]
	insts := s.mod.Children[name]
	objs := make([]cty.Value, len(insts))
	for i, ci := range insts {
		vals := map[string]cty.Value{}
		for out := range ci.Config.Outputs {
			vals[out] = valueOr(s.outs[ci][out], cty.DynamicVal)
		}
		objs[i] = cty.ObjectVal(vals)
	}
	switch {
	case call.ForEach != nil:
		m := map[string]cty.Value{}
		for i, ci := range insts {
			m[ci.Path[len(ci.Path)-1].Key.AsString()] = objs[i]
		}
		return cty.ObjectVal(m)
	case call.Count != nil:
		return cty.TupleVal(objs)
	case len(objs) == 1:
		return objs[0]
	}
	return cty.DynamicVal
}

// namedValues returns the values of model, fallback and module references
// among refs, by root, for an evaluation context; with refs nil, every
// model and fallback value.
func (s *Scope) namedValues(refs []*config.Ref) map[string]cty.Value {
	named := map[string]map[string]cty.Value{}
	add := func(root, name string, v cty.Value) {
		if named[root] == nil {
			named[root] = map[string]cty.Value{}
		}
		named[root][name] = v
	}
	if refs == nil {
		for root, vals := range s.models {
			for name, v := range vals {
				add(root, name, v)
			}
		}
	}
	for _, r := range refs {
		switch r.Type {
		case config.RootModel, config.RootFallback:
			add(r.Type, r.Name, valueOr(s.models[r.Type][r.Name], cty.DynamicVal))
		case config.RootModule:
			add(r.Type, r.Name, s.moduleValue(r.Name))
		}
	}
	out := map[string]cty.Value{}
	for root, vals := range named {
		out[root] = cty.ObjectVal(vals)
	}
	return out
}

// SetLocal records a local value.
func (s *Scope) SetLocal(name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ver++
	s.locals[name] = v
}

// SetStep records the value of a step: one object, or an object (for_each)
// or tuple (count) of instance objects.
func (s *Scope) SetStep(name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ver++
	s.steps[name] = v
}

// Repetition holds each.key, each.value and count.index for one instance;
// the zero value is a step without instances.
type Repetition struct {
	EachKey, EachValue cty.Value
	CountIndex         cty.Value
}

// EvalContext builds an evaluation context holding just what refs name:
// a fresh context for every evaluation, whose own variables (each, count)
// may be added to but never changed. The rest is shared: the instances of
// a step evaluate in children of one context, made once while the scope
// does not change.
func (s *Scope) EvalContext(refs []*config.Ref, rep Repetition) *hcl.EvalContext {
	s.mu.RLock()
	ver := s.ver
	s.mu.RUnlock()
	var first *config.Ref
	if len(refs) > 0 {
		first = refs[0]
	}
	s.baseMu.Lock()
	base := s.base
	s.baseMu.Unlock()
	if base.ctx == nil || base.refs != first || base.n != len(refs) || base.ver != ver {
		base.ctx, base.refs, base.n, base.ver = s.baseContext(refs), first, len(refs), ver
		s.baseMu.Lock()
		s.base = base
		s.baseMu.Unlock()
	}
	ctx := base.ctx.NewChild()
	ctx.Variables = repetitionVars(rep)
	return ctx
}

// baseContext is the context of refs without each and count.
func (s *Scope) baseContext(refs []*config.Ref) *hcl.EvalContext {
	s.mu.RLock()
	defer s.mu.RUnlock()
	locals := map[string]cty.Value{}
	steps := map[string]cty.Value{}
	for _, r := range refs {
		switch r.Type {
		case config.RootLocal:
			locals[r.Name] = valueOr(s.locals[r.Name], cty.DynamicVal)
		case config.RootStep:
			steps[r.Name] = valueOr(s.steps[r.Name], cty.DynamicVal)
		}
	}
	vars := map[string]cty.Value{
		config.RootVar:   cty.ObjectVal(s.vars),
		config.RootLocal: cty.ObjectVal(locals),
		config.RootStep:  cty.ObjectVal(steps),
	}
	for root, v := range s.namedValues(refs) {
		vars[root] = v
	}
	vars[config.RootPromptform] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal(s.workspace())})
	return &hcl.EvalContext{Variables: vars, Functions: s.funcs}
}

// VarContext is the context for model attributes: variables and functions only.
func (s *Scope) VarContext() *hcl.EvalContext {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{config.RootVar: cty.ObjectVal(s.vars)},
		Functions: s.funcs,
	}
}

func valueOr(v, def cty.Value) cty.Value {
	if v == cty.NilVal {
		return def
	}
	return v
}
