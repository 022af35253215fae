package planner

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
)

// OutputValue evaluates an output. A value that uses a sensitive variable
// must be declared sensitive, as in Terraform; the value returned is
// unmarked, and the output's own sensitive flag governs its display.
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
			Detail:   fmt.Sprintf("Output %q uses a sensitive variable, so its value could be shown. Add sensitive = true to the output block to record it without showing it.", o.Name),
			Subject:  o.Value.Range().Ptr(),
		}}
	}
	return v, nil
}
