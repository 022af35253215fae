package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
)

// Moved is a moved block: the instances recorded at From belong to To
// now, so that renaming a step (or an instance key) keeps its recorded
// answers instead of paying for them again.
type Moved struct {
	From, To           addrs.Target
	FromRange, ToRange hcl.Range
	DeclRange          hcl.Range
}

var movedSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "from", Required: true}, {Name: "to", Required: true}},
}

func decodeMovedBlock(block *hcl.Block) (*Moved, hcl.Diagnostics) {
	content, diags := block.Body.Content(movedSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	mv := &Moved{DeclRange: block.DefRange}
	for _, end := range []struct {
		name   string
		target *addrs.Target
		rng    *hcl.Range
	}{{"from", &mv.From, &mv.FromRange}, {"to", &mv.To, &mv.ToRange}} {
		attr := content.Attributes[end.name]
		*end.rng = attr.Expr.Range()
		t, d := hcl.AbsTraversalForExpr(attr.Expr)
		if d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid moved address",
				Detail: "A moved block's " + end.name + " is a step or module address, such as step.summary, step.summary[\"fr\"] or module.short, not an expression.", Subject: end.rng})
			continue
		}
		target, err := addrs.TraversalTarget(t)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid moved address", Detail: err.Error() + ".", Subject: end.rng})
			continue
		}
		*end.target = target
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if mv.From.IsModule() != mv.To.IsModule() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid moved block",
			Detail: fmt.Sprintf("This moved block moves %s to %s: a module moves to a module, and a step to a step.", mv.From, mv.To), Subject: mv.DeclRange.Ptr()})
		return nil, diags
	}
	if mv.From.String() == mv.To.String() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Redundant moved block",
			Detail: "This moved block's from and to are the same address.", Subject: mv.DeclRange.Ptr()})
	}
	return mv, diags
}
