package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// Tool is a tool block: a function the model may call, and optionally the
// command that answers it.
type Tool struct {
	Name        string
	Description string
	Parameters  *Ref     // schema.NAME, or nil when Type is given
	Type        cty.Type // an inline parameters type, or cty.NilType
	Command     hcl.Expression
	Timeout     time.Duration
	Env         hcl.Expression

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (t *Tool) declRange() hcl.Range { return t.DeclRange }

// DefaultToolTimeout bounds a tool command without a timeout.
const DefaultToolTimeout = 30 * time.Second

var toolSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "parameters"}, {Name: "type"},
		{Name: "command"}, {Name: "timeout"}, {Name: "env"},
	},
}

func decodeToolBlock(block *hcl.Block) (*Tool, hcl.Diagnostics) {
	t := &Tool{Name: block.Labels[0], Type: cty.NilType, Timeout: DefaultToolTimeout, DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	diags := checkName(block, "tool")
	content, moreDiags := block.Body.Content(toolSchema)
	diags = append(diags, moreDiags...)
	attrs := content.Attributes
	diags = append(diags, decodeLiteral(attrs["description"], &t.Description)...)
	diags = append(diags, decodeDuration(attrs["timeout"], &t.Timeout)...)
	t.Command = exprOf(attrs["command"])
	t.Env = exprOf(attrs["env"])
	params, hasParams := attrs["parameters"]
	ty, hasType := attrs["type"]
	switch {
	case hasParams && hasType:
		diags = append(diags, attrError(ty, "Conflicting tool parameters",
			fmt.Sprintf("Tool %q sets both parameters and type; use one of them.", t.Name)))
	case hasParams:
		ref, d := decodeNameRef(params.Expr, "schema")
		diags = append(diags, d...)
		t.Parameters = ref
	case hasType:
		tt, _, d := typeexpr.TypeConstraintWithDefaults(ty.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			t.Type = tt
		}
	default:
		t.Type = cty.EmptyObject // a tool without arguments
	}
	return t, diags
}
