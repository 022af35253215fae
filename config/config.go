package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

// Config is a decoded configuration directory: one map per kind of block,
// keyed by the block's name. The default (unlabelled) gateway has the name "".
//
// A configuration that module blocks call is a child configuration: it has
// a Parent and shares the root's Gateways map, and its Settings and Moved
// are always empty, since those blocks belong in the root module.
type Config struct {
	// Dir is the directory of the configuration's files. A child's is
	// its parent's joined with the call's source, cleaned, and so
	// relative when the root's is.
	Dir       string
	Gateways  map[string]*Gateway
	Variables map[string]*Variable
	Locals    map[string]*Local
	Models    map[string]*Model
	Schemas   map[string]*Schema
	Tools     map[string]*Tool
	Fallbacks map[string]*Fallback
	Steps     map[string]*Step
	Checks    map[string]*Check
	Outputs   map[string]*Output
	Settings  *Settings // the promptform block, or nil
	Moved     []*Moved  // moved blocks, in file order

	// Modules are the module blocks, by call name.
	Modules map[string]*ModuleCall
	// Children are the configurations the module blocks load, by call
	// name: none for a call whose source could not be loaded (the
	// diagnostics say why).
	Children map[string]*Config
	// Parent is the configuration whose module block loaded this one;
	// nil for the root.
	Parent *Config
}

func newConfig(dir string) *Config {
	return &Config{
		Dir:       dir,
		Gateways:  map[string]*Gateway{},
		Variables: map[string]*Variable{},
		Locals:    map[string]*Local{},
		Models:    map[string]*Model{},
		Schemas:   map[string]*Schema{},
		Tools:     map[string]*Tool{},
		Fallbacks: map[string]*Fallback{},
		Steps:     map[string]*Step{},
		Checks:    map[string]*Check{},
		Outputs:   map[string]*Output{},
		Modules:   map[string]*ModuleCall{},
		Children:  map[string]*Config{},
	}
}

// StepNames returns the names of all steps, sorted.
func (c *Config) StepNames() []string { return slices.Sorted(maps.Keys(c.Steps)) }

// Gateway returns the gateway a model uses: the one it names, or the
// default gateway (built from defaults when the configuration has no
// gateway block). The same model always gets the same *Gateway.
func (c *Config) Gateway(m *Model) *Gateway {
	name := ""
	if m != nil && m.Gateway != nil {
		name = m.Gateway.Name
	}
	if g, ok := c.Gateways[name]; ok {
		return g
	}
	return defaultGateway(name)
}

func (c *Config) addFile(f *hcl.File) hcl.Diagnostics {
	content, diags := f.Body.Content(rootSchema)
	diags = dropLabelledGatewayDiags(diags)
	for _, g := range labelledGateways(f.Body) {
		if c.Parent != nil {
			diags = append(diags, rootOnlyBlock(g)...)
			continue
		}
		gw, moreDiags := decodeGatewayBlock(g)
		diags = append(diags, moreDiags...)
		diags = append(diags, addUnique(c.Gateways, gw.Name, gw, gw.DeclRange, "gateway")...)
	}
	for _, block := range content.Blocks {
		diags = append(diags, c.addBlock(block)...)
	}
	return diags
}

func (c *Config) addBlock(block *hcl.Block) hcl.Diagnostics {
	switch block.Type {
	case blockGateway, blockSettings, blockMoved:
		if c.Parent != nil {
			return rootOnlyBlock(block)
		}
	}
	switch block.Type {
	case blockGateway:
		gw, diags := decodeGatewayBlock(block)
		return append(diags, addUnique(c.Gateways, gw.Name, gw, gw.DeclRange, "gateway")...)
	case blockVariable:
		v, diags := decodeVariableBlock(block)
		return append(diags, addUnique(c.Variables, v.Name, v, v.DeclRange, "variable")...)
	case blockLocals:
		locals, diags := decodeLocalsBlock(block)
		for _, l := range locals {
			diags = append(diags, addUnique(c.Locals, l.Name, l, l.DeclRange, "local value")...)
		}
		return diags
	case blockModel:
		m, diags := decodeModelBlock(block)
		return append(diags, addUnique(c.Models, m.Name, m, m.DeclRange, "model")...)
	case blockSchema:
		sc, diags := decodeSchemaBlock(block)
		return append(diags, addUnique(c.Schemas, sc.Name, sc, sc.DeclRange, "schema")...)
	case blockTool:
		t, diags := decodeToolBlock(block)
		return append(diags, addUnique(c.Tools, t.Name, t, t.DeclRange, "tool")...)
	case blockFallback:
		f, diags := decodeFallbackBlock(block)
		return append(diags, addUnique(c.Fallbacks, f.Name, f, f.DeclRange, "fallback")...)
	case blockCheck:
		ch, diags := decodeCheckBlock(block)
		return append(diags, addUnique(c.Checks, ch.Name, ch, ch.DeclRange, "check")...)
	case blockStep:
		s, diags := decodeStepBlock(block)
		return append(diags, addUnique(c.Steps, s.Name, s, s.DeclRange, "step")...)
	case blockOutput:
		o, diags := decodeOutputBlock(block)
		return append(diags, addUnique(c.Outputs, o.Name, o, o.DeclRange, "output")...)
	case blockModule:
		m, diags := decodeModuleBlock(block)
		return append(diags, addUnique(c.Modules, m.Name, m, m.DeclRange, "module")...)
	case blockSettings:
		st, diags := decodeSettingsBlock(block)
		return append(diags, c.addSettings(st)...)
	case blockMoved:
		mv, diags := decodeMovedBlock(block)
		if mv != nil {
			c.Moved = append(c.Moved, mv)
		}
		return diags
	}
	return nil
}

// addUnique adds v to m under name, or reports a duplicate declaration that
// names the first one.
func addUnique[T any](m map[string]T, name string, v T, rng hcl.Range, kind string) hcl.Diagnostics {
	if prev, dup := m[name]; dup {
		what := fmt.Sprintf("A %s named %q", kind, name)
		if kind == "gateway" && name == "" {
			what = "The default gateway"
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s", kind),
			Detail:   fmt.Sprintf("%s was already declared at %s. Names must be unique.", what, declRangeOf(prev)),
			Subject:  rng.Ptr(),
		}}
	}
	m[name] = v
	return nil
}

// declRangeOf returns the DeclRange of any decoded block.
func declRangeOf(v any) string {
	if d, ok := v.(interface{ declRange() hcl.Range }); ok {
		return d.declRange().String()
	}
	return "another place"
}

// checkRefs reports name references to blocks that are not declared.
func (c *Config) checkRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(c.Models)) {
		m := c.Models[name]
		if m.Gateway != nil && m.Gateway.Name != "" {
			diags = append(diags, CheckDeclared(*m.Gateway, "gateway", c.Gateways)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Tools)) {
		if p := c.Tools[name].Parameters; p != nil {
			diags = append(diags, CheckDeclared(*p, "schema", c.Schemas)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Fallbacks)) {
		for _, m := range c.Fallbacks[name].Models {
			diags = append(diags, CheckDeclared(m, "model", c.Models)...)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.Steps)) {
		diags = append(diags, c.checkStepRefs(c.Steps[name])...)
	}
	return diags
}

// checkStepRefs checks a step's name references: its model or fallback
// when named directly, schema, tools and tool_choice. depends_on, and the
// references of a model chosen by an expression, are checked with the other
// references of expressions, by the planner.
func (c *Config) checkStepRefs(s *Step) hcl.Diagnostics {
	var diags hcl.Diagnostics
	switch s.Model.Type {
	case RootModel:
		diags = append(diags, CheckDeclared(s.Model.Ref, "model", c.Models)...)
	case RootFallback:
		diags = append(diags, CheckDeclared(s.Model.Ref, "fallback", c.Fallbacks)...)
	}
	if s.Schema != nil {
		diags = append(diags, CheckDeclared(*s.Schema, "schema", c.Schemas)...)
	}
	for _, t := range s.Tools {
		diags = append(diags, CheckDeclared(t, "tool", c.Tools)...)
	}
	if tc := s.ToolChoice; tc != nil && tc.Tool != nil {
		named := false
		for _, t := range s.Tools {
			named = named || t.Name == tc.Tool.Name
		}
		if !named {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Tool choice not among the step's tools",
				Detail:   fmt.Sprintf("tool_choice names tool.%s, which is not in the tools of step %q. Add it to tools.", tc.Tool.Name, s.Name),
				Subject:  tc.Tool.SourceRange.Ptr(),
			})
		}
	}
	if s.ToolChoice != nil && len(s.Tools) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Tool choice without tools",
			Detail:   fmt.Sprintf("Step %q sets tool_choice but no tools.", s.Name),
			Subject:  s.ToolChoice.Range.Ptr(),
		})
	}
	return diags
}

// CheckDeclared reports a reference to a name that is not declared among
// the declared ones of its kind ("model", "step", "input variable"…), with a
// suggestion when a declared name is close.
func CheckDeclared[T any](ref Ref, kind string, declared map[string]T) hcl.Diagnostics {
	if _, ok := declared[ref.Name]; ok {
		return nil
	}
	detail := fmt.Sprintf("No %s named %q is declared.", kind, ref.Name)
	if s := nameSuggestion(ref.Name, slices.Sorted(maps.Keys(declared))); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Reference to undeclared %s", kind),
		Detail:   detail,
		Subject:  ref.SourceRange.Ptr(),
	}}
}
