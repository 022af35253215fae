package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
)

// Variable is a variable block: an input of the pipeline.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type  // cty.DynamicPseudoType when no type is given, or for a model
	Default     cty.Value // cty.NilVal when the variable is required
	// Model is true for type = model: the variable names a model or
	// fallback, and only the module block that calls the module can set
	// it. Such a variable has no default.
	Model       bool
	Sensitive   bool
	Validations []*Validation

	DeclRange hcl.Range
}

func (v *Variable) declRange() hcl.Range { return v.DeclRange }

// Required reports whether the variable has no default.
func (v *Variable) Required() bool { return v.Default == cty.NilVal }

// Validation is a validation block of a variable.
type Validation struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: blockValidation}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

func decodeVariableBlock(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: block.Labels[0], Type: cty.DynamicPseudoType, DeclRange: block.DefRange}
	diags := checkName(block, "variable")
	content, moreDiags := block.Body.Content(variableSchema)
	diags = append(diags, moreDiags...)
	diags = append(diags, decodeLiteral(content.Attributes["description"], &v.Description)...)
	diags = append(diags, decodeLiteral(content.Attributes["sensitive"], &v.Sensitive)...)
	if attr, ok := content.Attributes["type"]; ok {
		diags = append(diags, v.decodeType(attr)...)
	}
	if attr, ok := content.Attributes["default"]; ok {
		diags = append(diags, v.decodeDefault(attr)...)
	}
	for _, b := range content.Blocks {
		vc, vcDiags := b.Body.Content(validationSchema)
		diags = append(diags, vcDiags...)
		if vcDiags.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, &Validation{
			Condition:    vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr,
			DeclRange:    b.DefRange,
		})
	}
	return v, diags
}

// decodeType reads the type attribute: the keyword model, or a type
// constraint.
func (v *Variable) decodeType(attr *hcl.Attribute) hcl.Diagnostics {
	if hcl.ExprAsKeyword(attr.Expr) == typeModel {
		v.Model = true
		return nil
	}
	ty, diags := typeexpr.TypeConstraint(attr.Expr)
	if !diags.HasErrors() {
		v.Type = ty
	}
	return diags
}

// decodeDefault reads the default attribute, a literal of the variable's
// type. A model variable has none.
func (v *Variable) decodeDefault(attr *hcl.Attribute) hcl.Diagnostics {
	if v.Model {
		return hcl.Diagnostics{attrError(attr, "Invalid default for model variable",
			"A variable of type model takes its value from the module block that calls the module; it has no default.")}
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	conv, err := Convert(val, v.Type)
	if err != nil {
		diags = append(diags, attrError(attr, "Invalid default value for variable",
			fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err)))
		conv = cty.UnknownVal(v.Type)
	}
	v.Default = conv
	return diags
}

// typeModel is the type keyword of a variable that names a model.
const typeModel = "model"

// Local is one attribute of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

func (l *Local) declRange() hcl.Range { return l.DeclRange }

func decodeLocalsBlock(block *hcl.Block) ([]*Local, hcl.Diagnostics) {
	attrs, diags := block.Body.JustAttributes()
	locals := make([]*Local, 0, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		attr := attrs[name]
		if !hclsyntaxValidIdentifier(name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid local value name",
				Detail:   "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
				Subject:  attr.NameRange.Ptr(),
			})
			continue
		}
		locals = append(locals, &Local{Name: name, Expr: attr.Expr, DeclRange: attr.Range})
	}
	return locals, diags
}

// Output is an output block: a value printed after apply and kept in state.
type Output struct {
	Name        string
	Value       hcl.Expression
	Description string
	Sensitive   bool
	// Preconditions must hold for the output's value: a failed one makes
	// apply exit 1, after everything is recorded.
	Preconditions []*Condition

	DeclRange hcl.Range
}

// Exprs returns the output's expressions: its value and its
// preconditions.
func (o *Output) Exprs() []hcl.Expression {
	var out []hcl.Expression
	if o.Value != nil {
		out = append(out, o.Value)
	}
	for _, c := range o.Preconditions {
		out = append(out, c.Condition, c.ErrorMessage)
	}
	return out
}

func (o *Output) declRange() hcl.Range { return o.DeclRange }

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: blockPrecondition}},
}

func decodeOutputBlock(block *hcl.Block) (*Output, hcl.Diagnostics) {
	o := &Output{Name: block.Labels[0], DeclRange: block.DefRange}
	diags := checkName(block, "output")
	content, moreDiags := block.Body.Content(outputSchema)
	diags = append(diags, moreDiags...)
	if attr, ok := content.Attributes["value"]; ok {
		o.Value = attr.Expr
	}
	diags = append(diags, decodeLiteral(content.Attributes["description"], &o.Description)...)
	diags = append(diags, decodeLiteral(content.Attributes["sensitive"], &o.Sensitive)...)
	for _, b := range content.Blocks {
		c, cDiags := decodeCondition(b)
		diags = append(diags, cDiags...)
		if c != nil {
			o.Preconditions = append(o.Preconditions, c)
		}
	}
	return o, diags
}
