package planner

import (
	"fmt"
	"maps"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Outcome is what evaluating a condition came to.
type Outcome int

// The outcomes of a condition: it holds, it does not, it cannot be known
// yet (it depends on a step that has not run), or it cannot be evaluated.
const (
	Holds Outcome = iota
	Fails
	NotKnown
	Invalid
)

// EvalCondition evaluates a postcondition, assert or precondition block in
// ctx. When it fails, message is its error_message, or "(sensitive value)"
// when that uses a sensitive value, or "The condition is false." when the
// message cannot be evaluated. When it is Invalid, diags say why (given
// severity sev), and message is their first detail.
func EvalCondition(c *config.Condition, ctx *hcl.EvalContext, sev hcl.DiagnosticSeverity) (out Outcome, message string, diags hcl.Diagnostics) {
	v, diags := c.Condition.Value(ctx)
	if diags.HasErrors() {
		if usesSensitive(c.Condition, ctx) {
			// A function's error may quote its argument: say where, not what.
			d := &hcl.Diagnostic{Severity: sev, Summary: diags[0].Summary, Subject: c.Condition.Range().Ptr(),
				Detail: "The condition cannot be evaluated; its error is not shown, because the condition uses " + sensitiveSources(c.Condition, ctx) + "."}
			return Invalid, d.Summary + ": " + d.Detail, hcl.Diagnostics{d}
		}
		for _, d := range diags {
			d.Severity = sev
		}
		return Invalid, diags[0].Summary + ": " + diags[0].Detail, diags
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return NotKnown, "", nil
	}
	v, err := convert.Convert(v, cty.Bool)
	if err != nil || v.IsNull() {
		const detail = "The condition must be true or false."
		return Invalid, detail, hcl.Diagnostics{{Severity: sev, Summary: "Invalid condition",
			Detail: detail, Subject: c.Condition.Range().Ptr()}}
	}
	if v.True() {
		return Holds, "", nil
	}
	msg := "The condition is false."
	m, d := c.ErrorMessage.Value(ctx)
	switch {
	case d.HasErrors():
		// Only the summary and place: a detail may quote a value.
		r := c.ErrorMessage.Range()
		msg = fmt.Sprintf("The condition is false, and its error_message cannot be evaluated (%s at %s line %d).", d[0].Summary, r.Filename, r.Start.Line)
	case m.Type() == cty.String && m.IsKnown() && !m.IsNull():
		if m.IsMarked() {
			msg = SensitiveText
		} else {
			msg = m.AsString()
		}
	}
	return Fails, msg, nil
}

// usesSensitive reports whether expr refers to a value that is, or holds,
// a sensitive one.
func usesSensitive(expr hcl.Expression, ctx *hcl.EvalContext) bool {
	for _, t := range expr.Variables() {
		if v, diags := t.TraverseAbs(ctx); !diags.HasErrors() && v.ContainsMarked() {
			return true
		}
	}
	return false
}

// ConditionDiag is the diagnostic of a condition that failed with message:
// summary, then the message after prefix (such as "output.rate: "),
// located at the condition.
func ConditionDiag(c *config.Condition, ctx *hcl.EvalContext, summary, prefix, message string, sev hcl.DiagnosticSeverity) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity:    sev,
		Summary:     summary,
		Detail:      prefix + message,
		Subject:     c.Condition.Range().Ptr(),
		Expression:  c.Condition,
		EvalContext: ctx,
	}
}

// The summaries of an output precondition's diagnostics, whose details
// begin "output.NAME: ": failed in apply, and failing with the recorded
// answers in a plan.
const (
	OutputPreconditionFailed = "Output precondition failed"
	OutputPreconditionFails  = "Output precondition fails with the recorded answers"
)

// outputPreconditions checks an output's precondition blocks. In apply a
// failed one is an error: apply exits 1 once everything is recorded. In a
// plan it is a warning, when the recorded answers already make it fail; a
// precondition that depends on a step that will run is checked by apply.
func outputPreconditions(o *config.Output, ctx *hcl.EvalContext, op Op) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range o.Preconditions {
		out, msg, d := EvalCondition(c, ctx, hcl.DiagError)
		switch out {
		case Invalid:
			diags = append(diags, d...)
		case Fails:
			if op == OpPlan {
				diags = append(diags, ConditionDiag(c, ctx, OutputPreconditionFails,
					"output."+o.Name+": ", msg+" (apply exits 1 while this precondition fails)", hcl.DiagWarning))
				continue
			}
			diags = append(diags, ConditionDiag(c, ctx, OutputPreconditionFailed, "output."+o.Name+": ", msg, hcl.DiagError))
		}
	}
	return diags
}

// ScoreAsserts scores an instance's assert blocks in ctx with self as the
// answer's value: a condition that fails, or cannot be evaluated, scores
// false with its message (passed through redact, when not nil, where it
// may quote an expression's value). Nil when the step has no asserts; ctx
// is not changed.
func ScoreAsserts(inst *Instance, ctx *hcl.EvalContext, self cty.Value, redact func(string) string) []state.Assert {
	if len(inst.Step.Asserts) == 0 {
		return nil
	}
	withSelf := *ctx
	withSelf.Variables = maps.Clone(ctx.Variables)
	withSelf.Variables[config.RootSelf] = self
	out := make([]state.Assert, 0, len(inst.Step.Asserts))
	for _, a := range inst.Step.Asserts {
		o, msg, _ := EvalCondition(&a.Condition, &withSelf, hcl.DiagError)
		r := state.Assert{Name: a.Name, Passed: o == Holds}
		switch o {
		case Fails:
			r.Message = msg
		case Invalid:
			if redact != nil {
				msg = redact(msg)
			}
			r.Message = "cannot be evaluated: " + msg
		case NotKnown:
			r.Message = "cannot be evaluated: the condition is not known"
		}
		out = append(out, r)
	}
	return out
}
