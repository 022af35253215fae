package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
)

// budget is the most a run may cost, and where that was set.
type budget struct {
	usd     float64
	source  string     // "by -budget", or "in the promptform block (FILE:LINE)"
	subject *hcl.Range // the block's budget attribute; nil for -budget
}

// parseBudget reads -budget=USD: an amount in US dollars, zero or more,
// with or without a dollar sign.
func parseBudget(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimPrefix(strings.TrimSpace(s), "$"), 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("want an amount in US dollars, zero or more, such as 2.50")
	}
	return v, nil
}

// budgetOf returns the budget of a plan about to run: -budget, else the
// promptform block's budget; nil when neither sets one, and for an offline
// or replayed plan, which costs nothing. The block is evaluated either
// way, so that a wrong value is an error.
func budgetOf(pf *planFlags, p *planner.Plan) (*budget, hcl.Diagnostics) {
	usd, diags := p.Budget()
	var b *budget
	switch {
	case pf.budget != nil:
		b = &budget{usd: *pf.budget, source: "by -budget"}
	case usd != nil:
		expr := p.Config.Settings.Budget
		b = &budget{usd: *usd, source: fmt.Sprintf("in the promptform block (%s:%d)", expr.Range().Filename, expr.Range().Start.Line),
			subject: expr.Range().Ptr()}
	}
	if pf.offline || pf.replay || diags.HasErrors() {
		return nil, diags
	}
	return b, diags
}

// limit is the budget as the executor takes it; nil without one.
func (b *budget) limit() *float64 {
	if b == nil {
		return nil
	}
	return &b.usd
}

// planBudget returns the budget of a plan about to run once it is sure
// the budget can hold the plan; otherwise it shows why not and returns
// false.
func planBudget(pf *planFlags, p *planner.Plan, view planView) (*budget, bool) {
	b, diags := budgetOf(pf, p)
	if b != nil {
		diags = append(diags, b.check(p)...)
	}
	if len(diags) > 0 {
		view.diags(diags)
	}
	return b, !diags.HasErrors()
}

// check returns why the budget cannot hold the plan: a model that would be
// called has no price, or nothing bounds the length of a step's answers
// (then no call's cost has an upper bound), or the plan is expected to
// cost more than the budget.
func (b *budget) check(p *planner.Plan) hcl.Diagnostics {
	var diags hcl.Diagnostics
	unpriced := map[*planner.Model][]string{} // the steps that call each
	var models []*planner.Model               // in plan order
	unbounded := map[string]bool{}            // by step
	for _, c := range p.Changes {
		step := c.Addr.Step.String()
		for _, bill := range p.Billings(c) {
			switch {
			case !bill.Priced:
				if unpriced[bill.Model] == nil {
					models = append(models, bill.Model)
				}
				if steps := unpriced[bill.Model]; len(steps) == 0 || steps[len(steps)-1] != step {
					unpriced[bill.Model] = append(steps, step)
				}
			case bill.MaxOutput == 0 && !unbounded[step]:
				unbounded[step] = true
				diags = append(diags, b.unbounded(p, c, bill.Model))
			}
		}
	}
	for _, m := range models {
		diags = append(diags, b.unpriced(p, m, unpriced[m]))
	}
	if est := p.Cost; est.Expected > b.usd {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Plan exceeds the budget",
			Detail: fmt.Sprintf("The plan is expected to cost %s (%s), more than the budget of %s set %s. Nothing was run. "+
				"Raise the budget, or run part of the plan with -target or -exclude.",
				usd(est.Expected), count(est.Calls, "call"), usd(b.usd), b.source),
			Subject: b.subject,
		})
	}
	return diags
}

// unpriced is the error of a model without a price under a budget.
func (b *budget) unpriced(p *planner.Plan, m *planner.Model, steps []string) *hcl.Diagnostic {
	why := gatewayName(m) + " has no model catalog"
	if p.Catalogs[m.Gateway] != nil {
		why = "the catalog of " + gatewayName(m) + " lists no price for it"
	}
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Model has no price",
		Detail: fmt.Sprintf("%s (id %q) has no price: its block sets none and %s. %s would call it, and a budget (set %s) cannot hold a call whose cost is unknown. "+
			"Set price = { input = ..., output = ... } on %s, in USD per million tokens, or run without a budget.",
			m.Address(), m.ID, why, strings.Join(steps, ", "), b.source, m.Address()),
	}
	if mc := p.Config.Models[m.Name]; mc != nil {
		d.Subject = mc.DeclRange.Ptr()
	}
	return d
}

// unbounded is the error of a step whose answers have no length limit
// under a budget.
func (b *budget) unbounded(p *planner.Plan, c *planner.Change, m *planner.Model) *hcl.Diagnostic {
	step := c.Addr.Step.String()
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Answer length not bounded",
		Detail: fmt.Sprintf("%s calls %s (id %q), and nothing bounds the length of its answers: no max_tokens is set, and the catalog of %s gives no limit for it. "+
			"A budget (set %s) needs an upper bound on what every call may cost: set max_tokens on %s or on %s.",
			step, m.Address(), m.ID, gatewayName(m), b.source, step, m.Address()),
		Subject: c.Rendered.Instance.Step.DeclRange.Ptr(),
	}
}

// gatewayName names a model's gateway in a sentence: "the gateway" (the
// default one) or "gateway.NAME".
func gatewayName(m *planner.Model) string {
	if m.Gateway.Name == "" {
		return "the gateway"
	}
	return m.Gateway.Address()
}

// budgetStop says what a run that stopped at its budget spent, and what
// it did not run.
func budgetStop(u *executor.BudgetUse) string {
	return fmt.Sprintf("Spent %s of the %s budget; %s not run.", usd(u.Spent), usd(u.Budget), count(u.NotRun, "instance")+pluralWas(u.NotRun))
}

// pluralWas is " was" or " were", after a count.
func pluralWas(n int) string {
	if n == 1 {
		return " was"
	}
	return " were"
}
