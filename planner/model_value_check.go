package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
)

// modelOf reads the kind and name of the model a step's model expression
// yielded for an instance: the value of a model.NAME or fallback.NAME of
// the configuration. Anything else is a diagnostic on the expression that
// says what was given and what is expected.
func (p *Plan) modelOf(inst *Instance, v cty.Value, ctx *hcl.EvalContext) (kind, name string, diag *hcl.Diagnostic) {
	expr := inst.Step.Model.Expr
	bad := func(summary, detail string) (string, string, *hcl.Diagnostic) {
		return "", "", &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: summary, Detail: detail,
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx,
		}
	}
	if v.ContainsMarked() {
		return bad("Invalid model", fmt.Sprintf("The model of %s must not depend on a sensitive value: the model is shown in plans, progress and the state.", inst.Addr))
	}
	if !modelKnown(v) {
		return bad("Model not known at plan time", fmt.Sprintf(
			"The model of %s depends on a value known only after apply. A step's model must be known when the plan is made: choose it with variables, locals, each.value or count.index, not with the answer of a step that has yet to run.", inst.Addr))
	}
	wrong := func(given string) (string, string, *hcl.Diagnostic) {
		return bad("Invalid model", fmt.Sprintf("The model of %s must be a model or a fallback chain, written model.NAME or fallback.NAME (or a value holding one); this is %s.", inst.Addr, given))
	}
	if v.IsNull() {
		return wrong("null")
	}
	ty := v.Type()
	if !ty.IsObjectType() || !slices.Equal(slices.Sorted(maps.Keys(ty.AttributeTypes())), []string{"id", "name", "type"}) {
		return wrong(p.describeNotModel(v))
	}
	for _, attr := range []string{"type", "name", "id"} {
		if a := v.GetAttr(attr); !a.Type().Equals(cty.String) || a.IsNull() {
			return wrong(fmt.Sprintf("an object whose %s is not a string", attr))
		}
	}
	kind, name = v.GetAttr("type").AsString(), v.GetAttr("name").AsString()
	if kind != config.RootModel && kind != config.RootFallback {
		return wrong(fmt.Sprintf("an object of type %q", kind))
	}
	if !p.declared(kind, name) {
		detail := fmt.Sprintf("The model of %s is %s.%s, but no %s named %q is declared.", inst.Addr, kind, name, kind, name)
		if s := config.NameSuggestion(name, p.declaredNames(kind)); s != "" {
			detail += fmt.Sprintf(" Did you mean %s.%s?", kind, s)
		}
		return bad("Reference to undeclared "+kind, detail)
	}
	got, want := v.GetAttr("id"), p.modelValue(kind, name).GetAttr("id")
	if got.IsKnown() && got.AsString() != want.AsString() {
		return wrong(fmt.Sprintf("an object that names %s.%s with the id %q, but the id of %s.%s is %q; use %s.%s itself",
			kind, name, got.AsString(), kind, name, want.AsString(), kind, name))
	}
	return kind, name, nil
}

// modelKnown reports whether a value's type and name, what chooses the
// model, are known.
func modelKnown(v cty.Value) bool {
	if !v.IsKnown() {
		return false
	}
	if v.IsNull() || !v.Type().IsObjectType() {
		return v.IsWhollyKnown()
	}
	for _, attr := range []string{"type", "name"} {
		if v.Type().HasAttribute(attr) && !v.GetAttr(attr).IsKnown() {
			return false
		}
	}
	return true
}

// modelValue returns the value of kind.NAME, as expressions see it.
func (p *Plan) modelValue(kind, name string) cty.Value {
	m := p.Models[name]
	if kind == config.RootFallback {
		m = nil
		if f := p.Fallbacks[name]; f != nil && len(f.Models) > 0 {
			m = f.Models[0]
		}
	}
	id := ""
	if m != nil {
		id = m.ID
	}
	return ModelVal(kind, name, cty.StringVal(id))
}

// describeNotModel says what a value that is not a model is, for an error:
// a string that names a model gets a suggestion.
func (p *Plan) describeNotModel(v cty.Value) string {
	ty := v.Type()
	switch {
	case ty == cty.String:
		s := v.AsString()
		given := fmt.Sprintf("the string %q", s)
		for _, kind := range []string{config.RootModel, config.RootFallback} {
			if p.declared(kind, s) {
				return given + fmt.Sprintf("; write %s.%s, without quotes", kind, s)
			}
		}
		return given
	case ty == cty.Number:
		return "the number " + v.AsBigFloat().Text('g', -1)
	case ty == cty.Bool:
		return fmt.Sprintf("the bool %t", v.True())
	case ty.IsObjectType():
		attrs := slices.Sorted(maps.Keys(ty.AttributeTypes()))
		if len(attrs) == 0 {
			return "an empty object"
		}
		if len(attrs) == 1 {
			return "an object with the one attribute " + attrs[0]
		}
		return "an object with the attributes " + strings.Join(attrs, ", ")
	}
	return "a " + ty.FriendlyName()
}
