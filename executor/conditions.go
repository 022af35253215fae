package executor

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// postconditions evaluates a step instance's postcondition blocks with
// self as its value; a failed one is an error located at its condition.
func (s *scheduler) postconditions(inst *planner.Instance, self cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	n := s.nodes[inst.Step.Address()]
	for _, pc := range inst.Step.Postconditions {
		ctx := s.scope.EvalContext(n.node.Refs, inst.Rep)
		ctx.Variables[config.RootSelf] = self
		diags = append(diags, evalCondition(pc, ctx, "Postcondition failed",
			fmt.Sprintf("%s: ", inst.Addr), hcl.DiagError)...)
	}
	return diags
}

// evalCondition evaluates one condition; false gives a diagnostic of the
// given severity with the error message, a non-boolean or failed condition
// an error.
func evalCondition(c *config.Condition, ctx *hcl.EvalContext, summary, prefix string, sev hcl.DiagnosticSeverity) hcl.Diagnostics {
	v, diags := c.Condition.Value(ctx)
	if diags.HasErrors() {
		for _, d := range diags {
			d.Severity = sev
		}
		return diags
	}
	v, _ = v.UnmarkDeep()
	v, err := convert.Convert(v, cty.Bool)
	if err != nil || v.IsNull() || !v.IsKnown() {
		return hcl.Diagnostics{{Severity: sev, Summary: "Invalid condition",
			Detail: "The condition must be true or false.", Subject: c.Condition.Range().Ptr()}}
	}
	if v.True() {
		return nil
	}
	msg := "The condition is false."
	if m, d := c.ErrorMessage.Value(ctx); !d.HasErrors() && m.Type() == cty.String && m.IsKnown() && !m.IsNull() {
		if m.IsMarked() {
			msg = "(sensitive value)"
		} else {
			msg = m.AsString()
		}
	}
	return hcl.Diagnostics{{
		Severity:    sev,
		Summary:     summary,
		Detail:      prefix + msg,
		Subject:     c.Condition.Range().Ptr(),
		Expression:  c.Condition,
		EvalContext: ctx,
	}}
}

// runCheck evaluates a check block's asserts: each failure is a warning,
// never an error.
func (s *scheduler) runCheck(c *config.Check, ctx *hcl.EvalContext) {
	var messages []string
	for _, a := range c.Asserts {
		diags := evalCondition(a, ctx, "Check failed", fmt.Sprintf("check.%s: ", c.Name), hcl.DiagWarning)
		for _, d := range diags {
			messages = append(messages, d.Detail)
		}
		s.addDiags(diags)
	}
	s.opts.Hook.CheckResult(c.Name, len(messages) == 0, messages)
}
