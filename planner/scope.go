package planner

import (
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Scope holds the values expressions can see: variables, models and
// fallback chains, the local values computed so far and the step values
// known so far (recorded or unknown). A Scope is safe for concurrent use.
type Scope struct {
	mu     sync.RWMutex
	vars   map[string]cty.Value
	models map[string]map[string]cty.Value // model.NAME and fallback.NAME, by root and name; never written after NewScope
	locals map[string]cty.Value
	steps  map[string]cty.Value
	funcs  map[string]function.Function
}

// Sensitive is the mark of values that come from a sensitive variable, or
// from the answer of a step whose request used one: they are sent and
// recorded, but never shown.
const Sensitive = marks("sensitive")

type marks string

// NewScope returns a scope over the given variable values, with the
// functions of the configuration directory and the values of cfg's model
// and fallback blocks (ModelVal). Values of sensitive variables carry the
// Sensitive mark, and so does everything computed from them.
func NewScope(cfg *config.Config, vars map[string]cty.Value) *Scope {
	marked := make(map[string]cty.Value, len(vars))
	for name, v := range vars {
		if decl := cfg.Variables[name]; decl != nil && decl.Sensitive {
			v = v.Mark(Sensitive)
		}
		marked[name] = v
	}
	s := &Scope{
		vars:   marked,
		locals: map[string]cty.Value{},
		steps:  map[string]cty.Value{},
		funcs:  config.Functions(cfg.Dir),
	}
	s.models = modelValues(cfg, s.VarContext())
	return s
}

// SetLocal records a local value.
func (s *Scope) SetLocal(name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locals[name] = v
}

// SetStep records the value of a step: one object, or an object (for_each)
// or tuple (count) of instance objects.
func (s *Scope) SetStep(name string, v cty.Value) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps[name] = v
}

// Repetition holds each.key, each.value and count.index for one instance;
// the zero value is a step without instances.
type Repetition struct {
	EachKey, EachValue cty.Value
	CountIndex         cty.Value
}

// EvalContext builds an evaluation context holding just what refs name:
// a fresh context for every evaluation, never mutated after.
func (s *Scope) EvalContext(refs []*config.Ref, rep Repetition) *hcl.EvalContext {
	s.mu.RLock()
	defer s.mu.RUnlock()
	locals := map[string]cty.Value{}
	steps := map[string]cty.Value{}
	named := map[string]map[string]cty.Value{}
	for _, r := range refs {
		switch r.Type {
		case config.RootLocal:
			locals[r.Name] = valueOr(s.locals[r.Name], cty.DynamicVal)
		case config.RootStep:
			steps[r.Name] = valueOr(s.steps[r.Name], cty.DynamicVal)
		case config.RootModel, config.RootFallback:
			if named[r.Type] == nil {
				named[r.Type] = map[string]cty.Value{}
			}
			named[r.Type][r.Name] = valueOr(s.models[r.Type][r.Name], cty.DynamicVal)
		}
	}
	vars := map[string]cty.Value{
		config.RootVar:   cty.ObjectVal(s.vars),
		config.RootLocal: cty.ObjectVal(locals),
		config.RootStep:  cty.ObjectVal(steps),
	}
	for root, vals := range named {
		vars[root] = cty.ObjectVal(vals)
	}
	if rep.EachKey != cty.NilVal {
		vars[config.RootEach] = cty.ObjectVal(map[string]cty.Value{"key": rep.EachKey, "value": rep.EachValue})
	}
	if rep.CountIndex != cty.NilVal {
		vars[config.RootCount] = cty.ObjectVal(map[string]cty.Value{"index": rep.CountIndex})
	}
	return &hcl.EvalContext{Variables: vars, Functions: s.funcs}
}

// VarContext is the context for model attributes: variables and functions only.
func (s *Scope) VarContext() *hcl.EvalContext {
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
