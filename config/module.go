package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ModuleCall is a module block: a child configuration loaded from Source,
// with the values of its variables.
type ModuleCall struct {
	Name        string
	Source      string
	SourceRange hcl.Range                 // the source attribute's expression
	ForEach     hcl.Expression            // nil when not set
	Count       hcl.Expression            // nil when not set
	Args        map[string]*hcl.Attribute // every other attribute: a variable of the child, by name
	DeclRange   hcl.Range
}

func (m *ModuleCall) declRange() hcl.Range { return m.DeclRange }

// Meta-arguments of a module block; every other attribute sets a variable
// of the child.
const (
	moduleSource    = "source"
	moduleForEach   = "for_each"
	moduleCount     = "count"
	moduleDependsOn = "depends_on"
)

// decodeModuleBlock reads a module block. The result is never nil; its
// Source is "" when the source attribute is missing or not a literal
// string, and Args is never nil.
func decodeModuleBlock(block *hcl.Block) (*ModuleCall, hcl.Diagnostics) {
	m := &ModuleCall{Name: block.Labels[0], DeclRange: block.DefRange, SourceRange: block.DefRange, Args: map[string]*hcl.Attribute{}}
	diags := checkName(block, "module")
	attrs, moreDiags := block.Body.JustAttributes()
	diags = append(diags, explainModuleBlockDiags(moreDiags)...)
	diags = append(diags, m.decodeSource(attrs[moduleSource], block)...)
	m.ForEach = exprOf(attrs[moduleForEach])
	m.Count = exprOf(attrs[moduleCount])
	if m.ForEach != nil && m.Count != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid combination of count and for_each",
			Detail:   "A module block may use count or for_each, not both.",
			Subject:  attrs[moduleForEach].NameRange.Ptr(),
		})
	}
	if attr, ok := attrs[moduleDependsOn]; ok {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported argument",
			Detail:   "depends_on is not supported in module blocks. The module's steps wait for the values they refer to; pass those values as arguments of the module block.",
			Subject:  attr.NameRange.Ptr(),
		})
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		switch name {
		case moduleSource, moduleForEach, moduleCount, moduleDependsOn:
			continue
		}
		m.Args[name] = attrs[name]
	}
	return m, diags
}

// decodeSource reads the source attribute: a literal string, without
// references, since it decides which files are loaded.
func (m *ModuleCall) decodeSource(attr *hcl.Attribute, block *hcl.Block) hcl.Diagnostics {
	if attr == nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   fmt.Sprintf("Module %q needs a source: the directory of the module, such as source = \"./summarize\".", m.Name),
			Subject:  block.DefRange.Ptr(),
		}}
	}
	m.SourceRange = attr.Expr.Range()
	invalid := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid module source",
		Detail:   "The source of a module must be a literal string, such as \"./summarize\"; it cannot use references, functions or templates.",
		Subject:  m.SourceRange.Ptr(),
	}
	if len(attr.Expr.Variables()) > 0 {
		return hcl.Diagnostics{invalid}
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return hcl.Diagnostics{invalid}
	}
	if val.Type() != cty.String || val.IsNull() || !val.IsKnown() {
		return hcl.Diagnostics{invalid}
	}
	m.Source = val.AsString()
	return nil
}

// explainModuleBlockDiags gives JustAttributes' complaint about a nested
// block a detail that says what a module block takes instead.
func explainModuleBlockDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if strings.HasPrefix(d.Summary, "Unexpected ") && strings.HasSuffix(d.Summary, " block") {
			d.Detail = "A module block takes no nested blocks, only arguments: source, count or for_each, and the values of the module's variables as NAME = VALUE."
		}
	}
	return diags
}

// Child returns the configuration a path of module call names leads to
// from c (c itself for an empty path), or nil when a call is not declared
// or its source could not be loaded.
func (c *Config) Child(names ...string) *Config {
	for _, name := range names {
		if c == nil {
			return nil
		}
		c = c.Children[name]
	}
	return c
}

// rootOnlyBlock reports a block that may appear only in the root module:
// gateway, promptform and moved blocks.
func rootOnlyBlock(block *hcl.Block) hcl.Diagnostics {
	detail := "Move this block to the root module."
	switch block.Type {
	case blockGateway:
		detail = "Every module uses the gateways of the root module. Declare this gateway in the root module; models in a module can name it as gateway.NAME."
	case blockSettings:
		detail = "The settings of a run, such as its budget, cover the root module and every module it calls. Move this block to the root module."
	case blockMoved:
		detail = "Moved blocks are read only in the root module. Move this block to the root module."
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("%s blocks belong in the root module", strings.ToUpper(block.Type[:1])+block.Type[1:]),
		Detail:   detail,
		Subject:  block.DefRange.Ptr(),
	}}
}
