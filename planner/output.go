package planner

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
)

// OutputValue evaluates an output. A value that uses a sensitive one (a
// sensitive variable, or the answer of a step whose request uses one) must
// be declared sensitive, as in Terraform; the value returned is unmarked,
// and the output's own sensitive flag governs its display.
func OutputValue(o *config.Output, ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := o.Value.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, marks := v.UnmarkDeep()
	if len(marks) > 0 && !o.Sensitive {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Output refers to sensitive values",
			Detail: fmt.Sprintf("Output %q uses %s, so its value could be shown. A value is sensitive when it comes from a sensitive variable, or from the answer of a step whose request uses one. Add sensitive = true to the output block to record it without showing it.",
				o.Name, sensitiveSources(o.Value, ctx)),
			Subject: o.Value.Range().Ptr(),
		}}
	}
	return v, nil
}

// sensitiveSources names the references of expr whose values are marked
// sensitive, such as "var.password" or "step.login.output".
func sensitiveSources(expr hcl.Expression, ctx *hcl.EvalContext) string {
	var names []string
	seen := map[string]bool{}
	for _, t := range expr.Variables() {
		v, diags := t.TraverseAbs(ctx)
		name := addrs.TraversalText(t)
		if diags.HasErrors() || !v.ContainsMarked() || seen[name] {
			continue
		}
		seen[name] = true
		names = append(names, name)
	}
	switch len(names) {
	case 0:
		return "a sensitive value"
	case 1:
		return names[0] + ", which is sensitive"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + ", which are sensitive"
}
