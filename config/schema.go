package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// Schema is a schema block: the shape of a structured answer or of a
// tool's arguments, as an HCL type or as a JSON Schema document.
type Schema struct {
	Name        string
	Description string
	Type        cty.Type       // cty.NilType when JSONSchema is given
	JSONSchema  hcl.Expression // a JSON Schema document as a string; nil when Type is given
	Strict      *bool

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (s *Schema) declRange() hcl.Range { return s.DeclRange }

var schemaSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"}, {Name: "type"}, {Name: "json_schema"}, {Name: "strict"},
	},
}

func decodeSchemaBlock(block *hcl.Block) (*Schema, hcl.Diagnostics) {
	s := &Schema{Name: block.Labels[0], Type: cty.NilType, DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	diags := checkName(block, "schema")
	content, moreDiags := block.Body.Content(schemaSchema)
	diags = append(diags, moreDiags...)
	attrs := content.Attributes
	diags = append(diags, decodeLiteral(attrs["description"], &s.Description)...)
	if attr, ok := attrs["strict"]; ok {
		var b bool
		diags = append(diags, decodeLiteral(attr, &b)...)
		s.Strict = &b
	}
	ty, hasType := attrs["type"]
	doc, hasDoc := attrs["json_schema"]
	switch {
	case hasType && hasDoc:
		diags = append(diags, attrError(doc, "Conflicting schema definitions",
			fmt.Sprintf("Schema %q sets both type and json_schema; use one of them.", s.Name)))
	case hasType:
		t, _, tyDiags := typeexpr.TypeConstraintWithDefaults(ty.Expr)
		diags = append(diags, tyDiags...)
		if !tyDiags.HasErrors() {
			s.Type = t
		}
	case hasDoc:
		s.JSONSchema = doc.Expr
	default:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing schema definition",
			Detail:   fmt.Sprintf("Schema %q needs type = object({...}) or json_schema = file(\"schema.json\").", s.Name),
			Subject:  block.DefRange.Ptr(),
		})
	}
	return s, diags
}
