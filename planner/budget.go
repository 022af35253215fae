package planner

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// Budget evaluates the promptform block's budget = USD with the plan's
// variables: a known, non-negative number of US dollars. It returns nil
// when the configuration sets none (or sets null), and with errors.
func (p *Plan) Budget() (*float64, hcl.Diagnostics) {
	s := p.Config.Settings
	if s == nil || s.Budget == nil {
		return nil, nil
	}
	ctx := NewScope(p.Config, p.Vars).VarContext()
	v, sensitive, diags := evalMarked(s.Budget, ctx, cty.Number, "budget")
	switch {
	case diags.HasErrors() || v.IsNull():
		return nil, diags
	case !v.IsKnown():
		return nil, hcl.Diagnostics{exprDiag(s.Budget, "Invalid budget", "The budget must be known when the plan is made: use a number or variables.")}
	}
	f, _ := v.AsBigFloat().Float64()
	if f < 0 || math.IsInf(f, 0) {
		return nil, hcl.Diagnostics{exprDiag(s.Budget, "Invalid budget",
			fmt.Sprintf("The budget is an amount in US dollars, zero or more, not %s.", shownNumber(v, sensitive)))}
	}
	return &f, nil
}

// Billing is what a call to one model may cost per token: its price, and
// the most output tokens it may be answered with.
type Billing struct {
	Model     *Model
	Price     state.Price
	Priced    bool
	MaxOutput int // 0 when nothing bounds it
}

// Billings returns the billing of every model that may answer an
// instance's call: its model, or each model of its fallback chain, with
// the settings its request has for that model. It returns none for a
// change that calls no model (Keep, Drop) and for an instance whose model
// is not known.
func (p *Plan) Billings(c *Change) []Billing {
	r := c.Rendered
	if c.Action == Keep || c.Action == Drop || r == nil || r.Model == nil {
		return nil
	}
	models := []*Model{r.Model}
	if r.Fallback != nil {
		models = r.Fallback.Models
	}
	out := make([]Billing, 0, len(models))
	for i, m := range models {
		maxTokens, params := r.settingsFor(i, m)
		price, priced := p.PriceOf(m, ModelRegion(params))
		out = append(out, Billing{Model: m, Price: price, Priced: priced, MaxOutput: p.MaxOutputTokens(m, maxTokens)})
	}
	return out
}

// settingsFor returns the max_tokens and params of the request to the i-th
// model of the instance's chain (i is 0 without one): a client-mode chain
// sends the step's settings over the model's; a gateway-mode entry carries
// the model's own and inherits the rest from the request.
func (r *Rendered) settingsFor(i int, m *Model) (*int, map[string]cty.Value) {
	if i == 0 || r.Fallback == nil {
		return r.MaxTokens, r.Params
	}
	if r.Fallback.Mode == config.FallbackClient {
		cp := *r
		cp.applyModel(m)
		return cp.MaxTokens, cp.Params
	}
	maxTokens := r.MaxTokens
	if m.MaxTokens != nil {
		maxTokens = m.MaxTokens
	}
	params := map[string]cty.Value{}
	for k, v := range r.Params {
		params[k] = v
	}
	for k, v := range m.Params {
		params[k] = v
	}
	return maxTokens, params
}
