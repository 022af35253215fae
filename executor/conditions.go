package executor

import (
	"fmt"
	"maps"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
)

// postconditions evaluates a step instance's postcondition blocks in ctx
// with self as its value; a failed one is an error located at its
// condition. ctx is not changed, and may be nil when the step has none.
func postconditions(inst *planner.Instance, ctx *hcl.EvalContext, self cty.Value) hcl.Diagnostics {
	if len(inst.Step.Postconditions) == 0 {
		return nil
	}
	withSelf := *ctx
	withSelf.Variables = maps.Clone(ctx.Variables)
	withSelf.Variables[config.RootSelf] = self
	var diags hcl.Diagnostics
	for _, pc := range inst.Step.Postconditions {
		diags = append(diags, evalCondition(pc, &withSelf, "Postcondition failed",
			fmt.Sprintf("%s: ", inst.Addr), hcl.DiagError)...)
	}
	return diags
}

// evalCondition evaluates one condition; false gives a diagnostic of the
// given severity with the error message, a non-boolean or failed condition
// an error. A condition not known is false: every step it may use has run.
func evalCondition(c *config.Condition, ctx *hcl.EvalContext, summary, prefix string, sev hcl.DiagnosticSeverity) hcl.Diagnostics {
	out, msg, diags := planner.EvalCondition(c, ctx, sev)
	switch out {
	case planner.Holds:
		return nil
	case planner.Invalid:
		// Said of the instance (or check), as a failed condition is.
		for _, d := range diags {
			d.Detail = prefix + d.Detail
		}
		return diags
	case planner.NotKnown:
		return hcl.Diagnostics{{Severity: sev, Summary: "Invalid condition",
			Detail: prefix + "The condition must be true or false.", Subject: c.Condition.Range().Ptr()}}
	}
	return hcl.Diagnostics{planner.ConditionDiag(c, ctx, summary, prefix, msg, sev)}
}

// evalCheck evaluates a check block's asserts in ctx: each failure is a
// warning, never an error, and its message is one of the messages
// returned. The check passes when there are none.
func evalCheck(c *config.Check, ctx *hcl.EvalContext) (messages []string, diags hcl.Diagnostics) {
	for _, a := range c.Asserts {
		d := evalCondition(a, ctx, "Check failed", fmt.Sprintf("check.%s: ", c.Name), hcl.DiagWarning)
		for _, w := range d {
			messages = append(messages, w.Detail)
		}
		diags = append(diags, d...)
	}
	return messages, diags
}
