package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// StepModel is a step's model attribute: an expression that yields a model
// or a fallback chain, evaluated by package planner for each instance.
// When the expression is just model.NAME or fallback.NAME, the embedded Ref
// names it and the name is checked when the configuration is loaded;
// otherwise the Ref is the zero Ref (Type "") and the model is known only
// once the expression is evaluated.
type StepModel struct {
	Ref
	Expr hcl.Expression
}

// Static reports whether the model is named directly, as model.NAME or
// fallback.NAME, rather than chosen by an expression.
func (m StepModel) Static() bool { return m.Type != "" }

// decodeStepModel reads a step's model attribute. A constant ("fast", 42)
// is an error here: only model.NAME and fallback.NAME, or an expression
// that refers to something, can yield a model.
func decodeStepModel(expr hcl.Expression) (StepModel, hcl.Diagnostics) {
	m := StepModel{Expr: expr}
	if t, d := hcl.AbsTraversalForExpr(expr); !d.HasErrors() && len(t) == 2 && (t.RootName() == RootModel || t.RootName() == RootFallback) {
		ref, diags := decodeNameRef(expr, RootModel, RootFallback)
		if ref != nil {
			m.Ref = *ref
		}
		return m, diags
	}
	if len(expr.Variables()) > 0 {
		return m, nil
	}
	detail := "Expected the name of a model, such as model.NAME or fallback.NAME."
	if v, d := expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() && hclsyntaxValidIdentifier(v.AsString()) {
		detail += fmt.Sprintf(" A string does not name a model: write model.%s or fallback.%s, without quotes.", v.AsString(), v.AsString())
	}
	return m, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid model reference",
		Detail:   detail,
		Subject:  expr.Range().Ptr(),
	}}
}
