package planner

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// ModelType is the type of the values of model.NAME and fallback.NAME in
// expressions: one object type for both kinds, so that lists and maps that
// mix them unify, a for_each key can be built from .name, and each.value
// encodes as JSON. type is "model" or "fallback", name the block's name and
// id the gateway model id a request goes to first (a chain's first model).
var ModelType = cty.Object(map[string]cty.Type{
	"type": cty.String,
	"name": cty.String,
	"id":   cty.String,
})

// ModelVal returns the value of a reference to a model or fallback block:
// kind is config.RootModel or config.RootFallback.
func ModelVal(kind, name string, id cty.Value) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"type": cty.StringVal(kind),
		"name": cty.StringVal(name),
		"id":   id,
	})
}

// modelValues returns the value of every model and fallback reference, by
// root and name. Model ids are evaluated in ctx, the variables' context.
// An id that cannot be evaluated is "" here: resolveModels reports why,
// and planning stops there; validate, which plans with the variables that
// have no value unknown, still sees every model value as known.
//
// In a module, the names are prefixed with the module instance's address
// (ns), as the plan keys the module's blocks: model.fast in module.a is
// named module.a.fast.
func modelValues(cfg *config.Config, ns string, ctx *hcl.EvalContext) map[string]map[string]cty.Value {
	ids := make(map[string]cty.Value, len(cfg.Models))
	models := make(map[string]cty.Value, len(cfg.Models))
	for name, m := range cfg.Models {
		ids[name] = modelID(m, ctx)
		models[name] = ModelVal(config.RootModel, ns+name, ids[name])
	}
	fallbacks := make(map[string]cty.Value, len(cfg.Fallbacks))
	for name, f := range cfg.Fallbacks {
		id := cty.StringVal("")
		if len(f.Models) > 0 {
			if first, ok := ids[f.Models[0].Name]; ok {
				id = first
			}
		}
		fallbacks[name] = ModelVal(config.RootFallback, ns+name, id)
	}
	return map[string]map[string]cty.Value{config.RootModel: models, config.RootFallback: fallbacks}
}

// modelID evaluates a model block's id as a known string: "" when it
// cannot be evaluated.
func modelID(m *config.Model, ctx *hcl.EvalContext) cty.Value {
	none := cty.StringVal("")
	if m.ID == nil {
		return none
	}
	v, diags := m.ID.Value(ctx)
	if diags.HasErrors() {
		return none
	}
	v, _ = v.UnmarkDeep() // a sensitive id is an error of resolveModels
	v, err := convert.Convert(v, cty.String)
	if err != nil || v.IsNull() || !v.IsKnown() {
		return none
	}
	return v
}

// chooseModel sets the instance's model, and its chain when the step's
// model is a fallback chain: the one named, or the one the step's model
// expression yields in ctx.
func (r *Rendered) chooseModel(p *Plan, ctx *hcl.EvalContext) hcl.Diagnostics {
	sm := r.Instance.Step.Model
	if sm.Static() {
		if r.useModel(p, sm.Type, r.Instance.Prefix()+sm.Name) {
			return nil
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Reference to undeclared " + sm.Type,
			Detail: fmt.Sprintf("No %s named %q is declared.", sm.Type, sm.Name), Subject: sm.SourceRange.Ptr(),
		}}
	}
	v, diags := sm.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	kind, name, d := p.modelOf(r.Instance, v, ctx)
	if d == nil && !r.useModel(p, kind, name) {
		d = exprDiag(sm.Expr, "Invalid model", fmt.Sprintf("%s.%s of %s has no model to send the request to.", kind, name, r.Instance.Addr))
	}
	if d != nil {
		return append(diags, d)
	}
	return diags
}

// useModel sets the model (or chain) of kind and name, and reports whether
// it is declared.
func (r *Rendered) useModel(p *Plan, kind, name string) bool {
	if kind == config.RootFallback {
		r.Fallback = p.Fallbacks[name]
		if r.Fallback != nil && len(r.Fallback.Models) > 0 {
			r.Model = r.Fallback.Models[0]
		}
	} else {
		r.Model = p.Models[name]
	}
	return r.Model != nil
}

// ModelAddress returns what the instance's model is, in HCL spelling:
// model.NAME, or fallback.NAME for a chain.
func (r *Rendered) ModelAddress() string {
	if r.Fallback != nil {
		return r.Fallback.NS + config.RootFallback + "." + r.Fallback.Name
	}
	return r.Model.Address()
}

// declared reports whether a model (kind "model") or fallback chain
// (kind "fallback") of that name is declared.
func (p *Plan) declared(kind, name string) bool {
	if kind == config.RootFallback {
		return p.Fallbacks[name] != nil
	}
	return p.Models[name] != nil
}

// declaredNames returns the declared names of a kind of block, sorted.
func (p *Plan) declaredNames(kind string) []string {
	if kind == config.RootFallback {
		return slices.Sorted(maps.Keys(p.Fallbacks))
	}
	return slices.Sorted(maps.Keys(p.Models))
}
