package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Model is a model block: a gateway model id and the request defaults that
// go with it. Attributes may refer to variables; package planner evaluates
// them. An absent attribute is nil.
type Model struct {
	Name              string
	ID                hcl.Expression
	MaxTokens         hcl.Expression
	Temperature       hcl.Expression
	Stream            hcl.Expression
	Params            hcl.Expression
	RequestsPerMinute hcl.Expression
	MaxConcurrency    hcl.Expression
	// Price is price = { input, output, cache_read, cache_write }, USD
	// per million tokens, which wins over the catalog's; nil when absent.
	Price   hcl.Expression
	Gateway *Ref // nil for the default gateway

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (m *Model) declRange() hcl.Range { return m.DeclRange }

// Address returns model.NAME.
func (m *Model) Address() string { return "model." + m.Name }

var modelSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "id", Required: true},
		{Name: "max_tokens"}, {Name: "temperature"}, {Name: "stream"}, {Name: "params"},
		{Name: "requests_per_minute"}, {Name: "max_concurrency"}, {Name: "gateway"}, {Name: "price"},
	},
}

func decodeModelBlock(block *hcl.Block) (*Model, hcl.Diagnostics) {
	m := &Model{Name: block.Labels[0], DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	diags := checkName(block, "model")
	content, moreDiags := block.Body.Content(modelSchema)
	diags = append(diags, moreDiags...)
	attrs := content.Attributes
	m.ID = exprOf(attrs["id"])
	m.MaxTokens = exprOf(attrs["max_tokens"])
	m.Temperature = exprOf(attrs["temperature"])
	m.Stream = exprOf(attrs["stream"])
	m.Params = exprOf(attrs["params"])
	m.RequestsPerMinute = exprOf(attrs["requests_per_minute"])
	m.MaxConcurrency = exprOf(attrs["max_concurrency"])
	m.Price = exprOf(attrs["price"])
	if attr, ok := attrs["gateway"]; ok {
		ref, refDiags := decodeNameRef(attr.Expr, "gateway")
		diags = append(diags, refDiags...)
		m.Gateway = ref
	}
	return m, diags
}

func exprOf(attr *hcl.Attribute) hcl.Expression {
	if attr == nil {
		return nil
	}
	return attr.Expr
}

// checkName reports a block label that is not a valid identifier.
func checkName(block *hcl.Block, kind string) hcl.Diagnostics {
	if len(block.Labels) == 0 || hclsyntaxValidIdentifier(block.Labels[0]) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s name", kind),
		Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
		Subject:  block.LabelRanges[0].Ptr(),
	}}
}

func hclsyntaxValidIdentifier(s string) bool { return hclsyntax.ValidIdentifier(s) }
