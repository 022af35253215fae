package planner

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Model is a model block with its attributes evaluated.
type Model struct {
	Name              string
	NS                string // the prefix of the module instance that declares it: "" in the root
	ID                string
	MaxTokens         *int
	Temperature       *float64
	Stream            *bool
	StreamExpr        hcl.Expression       // where Stream was set, for diagnostics
	MaxTokensExpr     hcl.Expression       // where MaxTokens was set, for diagnostics
	Params            map[string]cty.Value // values that use a sensitive value carry its mark
	RequestsPerMinute int
	MaxConcurrency    int
	Gateway           *config.Gateway
	// Price is the model block's price = {...}, which wins over the
	// catalog's; nil when not set.
	Price *gateway.Price

	sensitive fieldSet // which of max_tokens, temperature and stream use a sensitive value
}

// fieldSet is a set of request field names.
type fieldSet map[string]bool

// resolveModels resolves the model blocks of a module instance into
// models, keyed by the instance's prefix ns and their name.
func resolveModels(cfg *config.Config, ns string, ctx *hcl.EvalContext, models map[string]*Model) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Models)) {
		m, d := resolveModel(cfg, cfg.Models[name], ctx)
		diags = append(diags, d...)
		m.NS = ns
		models[ns+name] = m
	}
	return diags
}

func resolveModel(cfg *config.Config, mc *config.Model, ctx *hcl.EvalContext) (*Model, hcl.Diagnostics) {
	m := &Model{Name: mc.Name, Gateway: cfg.Gateway(mc), sensitive: fieldSet{}}
	diags := m.resolveID(mc.ID, ctx)
	var d hcl.Diagnostics
	m.MaxTokens, m.sensitive["max_tokens"], d = optInt(mc.MaxTokens, ctx, "max_tokens", 1, nil)
	diags = append(diags, d...)
	m.Temperature, m.sensitive["temperature"], d = optFloat(mc.Temperature, ctx, "temperature", nil)
	diags = append(diags, d...)
	m.Stream, m.sensitive["stream"], d = optBool(mc.Stream, ctx, "stream", nil)
	m.StreamExpr = mc.Stream
	m.MaxTokensExpr = mc.MaxTokens
	diags = append(diags, d...)
	params, known, d := evalParams(mc.Params, ctx)
	diags = append(diags, d...)
	if known {
		m.Params = params
	}
	rpm, _, d := optInt(mc.RequestsPerMinute, ctx, "requests_per_minute", 1, nil)
	diags = append(diags, d...)
	if rpm != nil {
		m.RequestsPerMinute = *rpm
	}
	conc, _, d := optInt(mc.MaxConcurrency, ctx, "max_concurrency", 1, nil)
	diags = append(diags, d...)
	if conc != nil {
		m.MaxConcurrency = *conc
	}
	m.Price, d = evalPrice(mc.Price, ctx)
	diags = append(diags, d...)
	return m, diags
}

// priceType is the type of a model's price: USD per million tokens.
var priceType = cty.ObjectWithOptionalAttrs(map[string]cty.Type{
	"input": cty.Number, "output": cty.Number, "cache_read": cty.Number, "cache_write": cty.Number,
}, []string{"cache_read", "cache_write"})

// evalPrice evaluates a model's price = { input, output, cache_read,
// cache_write }: known, non-negative numbers, input and output required.
func evalPrice(expr hcl.Expression, ctx *hcl.EvalContext) (*gateway.Price, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	// A misspelt key would be dropped by the conversion: name it instead.
	if raw, d := expr.Value(ctx); !d.HasErrors() && raw.IsKnown() && !raw.IsNull() && (raw.Type().IsObjectType() || raw.Type().IsMapType()) {
		for it := raw.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			if name := k.AsString(); !priceType.HasAttribute(name) {
				return nil, hcl.Diagnostics{exprDiag(expr, "Invalid price",
					fmt.Sprintf("price has no %q: it takes input, output, cache_read and cache_write, in USD per million tokens.", name))}
			}
		}
	}
	v, _, diags := evalMarked(expr, ctx, priceType, "price")
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	if !v.IsWhollyKnown() {
		return nil, hcl.Diagnostics{exprDiag(expr, "Invalid price", "The price must be known when the plan is made: use numbers or variables.")}
	}
	var p gateway.Price
	fields := map[string]*float64{"input": &p.Input, "output": &p.Output, "cache_read": &p.CacheRead, "cache_write": &p.CacheWrite}
	for _, name := range []string{"input", "output", "cache_read", "cache_write"} {
		n := v.GetAttr(name)
		if n.IsNull() {
			if name == "input" || name == "output" {
				return nil, hcl.Diagnostics{exprDiag(expr, "Invalid price", fmt.Sprintf("The price needs %s, in USD per million tokens.", name))}
			}
			continue
		}
		f, _ := n.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			return nil, hcl.Diagnostics{exprDiag(expr, "Invalid price", fmt.Sprintf("price.%s is too large.", name))}
		}
		if f < 0 {
			return nil, hcl.Diagnostics{exprDiag(expr, "Invalid price", fmt.Sprintf("price.%s must not be negative, not %s.", name, n.AsBigFloat().Text('g', -1)))}
		}
		*fields[name] = f
	}
	return &p, nil
}

// resolveID evaluates the model id, which is shown in plans, progress and
// the state: it must be a known, non-empty string that uses no sensitive
// value.
func (m *Model) resolveID(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	id, sensitive, diags := evalMarked(expr, ctx, cty.String, "id")
	switch {
	case sensitive:
		return append(diags, exprDiag(expr, "Invalid model id",
			"The model id must not use a sensitive value: it is shown in plans, progress and the state."))
	case !id.IsKnown() || id.IsNull():
		return diags
	}
	m.ID = id.AsString()
	if m.ID == "" {
		diags = append(diags, exprDiag(expr, "Invalid model id", "The model id must not be empty; use a gateway model id such as \"claude-haiku-4-5-20251001\"."))
	}
	return diags
}

// evalAs evaluates expr and converts it to ty; a nil expr gives a null.
func evalAs(expr hcl.Expression, ctx *hcl.EvalContext, ty cty.Type, name string) (cty.Value, hcl.Diagnostics) {
	v, _, diags := evalMarked(expr, ctx, ty, name)
	return v, diags
}

// evalMarked is evalAs that also reports whether the value used a
// sensitive one; the value returned is unmarked.
func evalMarked(expr hcl.Expression, ctx *hcl.EvalContext, ty cty.Type, name string) (cty.Value, bool, hcl.Diagnostics) {
	if expr == nil {
		return cty.NullVal(ty), false, nil
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.UnknownVal(ty), false, diags
	}
	v, marks := v.UnmarkDeep() // sensitivity matters only where it is shown
	sensitive := len(marks) > 0
	conv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.UnknownVal(ty), sensitive, hcl.Diagnostics{{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect attribute value type",
			Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, err),
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		}}
	}
	return conv, sensitive, nil
}

// optInt, optFloat and optBool evaluate an optional attribute: nil when it
// is absent, null or not known yet, and whether it uses a sensitive value.
// A value not known yet clears *known, when known is not nil. An invalid
// value that uses a sensitive one is not quoted in the error.
func optInt(expr hcl.Expression, ctx *hcl.EvalContext, name string, minVal int, known *bool) (*int, bool, hcl.Diagnostics) {
	v, sensitive, diags := evalMarked(expr, ctx, cty.Number, name)
	noteKnown(v, diags, known)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() {
		return nil, sensitive, diags
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil || n < minVal {
		return nil, sensitive, hcl.Diagnostics{exprDiag(expr, "Invalid "+name,
			fmt.Sprintf("%s must be a whole number of at least %d, not %s.", name, minVal, shownNumber(v, sensitive)))}
	}
	return &n, sensitive, nil
}

func optFloat(expr hcl.Expression, ctx *hcl.EvalContext, name string, known *bool) (*float64, bool, hcl.Diagnostics) {
	v, sensitive, diags := evalMarked(expr, ctx, cty.Number, name)
	noteKnown(v, diags, known)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() {
		return nil, sensitive, diags
	}
	f, _ := v.AsBigFloat().Float64()
	if name == "temperature" && (f < 0 || f > 2) {
		return nil, sensitive, hcl.Diagnostics{exprDiag(expr, "Invalid temperature",
			fmt.Sprintf("temperature must be between 0 and 2, not %s.", shownNumber(v, sensitive)))}
	}
	return &f, sensitive, nil
}

func optBool(expr hcl.Expression, ctx *hcl.EvalContext, name string, known *bool) (*bool, bool, hcl.Diagnostics) {
	v, sensitive, diags := evalMarked(expr, ctx, cty.Bool, name)
	noteKnown(v, diags, known)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() {
		return nil, sensitive, diags
	}
	b := v.True()
	return &b, sensitive, nil
}

// shownNumber spells a number for an error message, or (sensitive value).
func shownNumber(v cty.Value, sensitive bool) string {
	if sensitive {
		return SensitiveText
	}
	return v.AsBigFloat().Text('g', -1)
}

// noteKnown clears *known when an evaluated value is not known yet.
func noteKnown(v cty.Value, diags hcl.Diagnostics, known *bool) {
	if known != nil && !diags.HasErrors() && !v.IsKnown() {
		*known = false
	}
}

// reservedParams are request fields that have their own attribute or block;
// params may not set them.
var reservedParams = gateway.RequestFields()

// evalParams evaluates a params object into its members; known is false
// when the object depends on values known only after apply. A member that
// uses a sensitive value keeps the mark, wherever it is inside: the whole
// member is then sensitive.
func evalParams(expr hcl.Expression, ctx *hcl.EvalContext) (params map[string]cty.Value, known bool, diags hcl.Diagnostics) {
	if expr == nil {
		return nil, true, nil
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, true, diags
	}
	if !v.IsWhollyKnown() {
		return nil, false, nil
	}
	v, objMarks := v.Unmark()
	ty := v.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		return nil, true, hcl.Diagnostics{exprDiag(expr, "Invalid params", "params must be an object of request fields, such as { model_region = \"global\" }.")}
	}
	out := v.AsValueMap()
	for _, k := range slices.Sorted(maps.Keys(out)) {
		member, marks := out[k].UnmarkDeep()
		if len(marks) > 0 || len(objMarks) > 0 {
			out[k] = member.Mark(Sensitive) // one mark on the member, none inside
		}
		if member.IsNull() {
			delete(out, k) // null means unset: nothing is sent
			continue
		}
		if slices.Contains(reservedParams, k) {
			diags = append(diags, exprDiag(expr, "Reserved request field in params",
				fmt.Sprintf("params sets %q, which promptform builds from its own attribute or block; set it there instead.", k)))
			delete(out, k)
		}
	}
	return out, true, diags
}

func exprDiag(expr hcl.Expression, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: expr.Range().Ptr()}
}
