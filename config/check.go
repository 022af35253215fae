package config

import "github.com/hashicorp/hcl/v2"

// Check is a check block: assertions evaluated at the end of apply, which
// warn and never fail the run.
type Check struct {
	Name    string
	Asserts []*Condition

	DeclRange hcl.Range
}

func (c *Check) declRange() hcl.Range { return c.DeclRange }

// Exprs returns the expressions of the check's asserts.
func (c *Check) Exprs() []hcl.Expression {
	var out []hcl.Expression
	for _, a := range c.Asserts {
		out = append(out, a.Condition, a.ErrorMessage)
	}
	return out
}

var checkSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: blockAssert}},
}

func decodeCheckBlock(block *hcl.Block) (*Check, hcl.Diagnostics) {
	c := &Check{Name: block.Labels[0], DeclRange: block.DefRange}
	diags := checkName(block, "check")
	content, moreDiags := block.Body.Content(checkSchema)
	diags = append(diags, moreDiags...)
	for _, b := range content.Blocks {
		a, d := decodeCondition(b)
		diags = append(diags, d...)
		if a != nil {
			c.Asserts = append(c.Asserts, a)
		}
	}
	if len(content.Blocks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty check",
			Detail:   "A check block holds one or more assert blocks with condition and error_message.",
			Subject:  block.DefRange.Ptr(),
		})
	}
	return c, diags
}
