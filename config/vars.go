package config

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Variable value files loaded automatically from the configuration directory.
const (
	VarsFile       = "promptform.pfvars"
	AutoVarsSuffix = ".auto.pfvars"
	VarEnvPrefix   = "PF_VAR_"
)

// VarArg is one -var NAME=VALUE or -var-file=FILE option, kept in command
// line order because later ones win.
type VarArg struct {
	Name  string `json:"name,omitempty"`  // -var
	Value string `json:"value,omitempty"` // -var
	File  string `json:"file,omitempty"`  // -var-file, when set
}

// rawVar is one value before conversion: where it came from and how to read it.
type rawVar struct {
	expr   hcl.Expression   // from a file
	ctx    *hcl.EvalContext // what expr may use: nil, but functions for a test file's values
	str    string           // from the environment or -var
	source string
	rng    *hcl.Range
}

// CollectVariables gathers the value of every declared variable from its
// default, PF_VAR_* in environ, promptform.pfvars, *.auto.pfvars and args,
// lowest precedence first, converts each to its type and runs the
// validation blocks. The result has a value for every declared variable;
// it is complete only when the diagnostics have no errors.
func (p *Parser) CollectVariables(cfg *Config, args []VarArg, environ []string) (map[string]cty.Value, hcl.Diagnostics) {
	return p.CollectVariablesWith(cfg, args, environ, nil, nil)
}

// CollectVariablesWith is CollectVariables with the values of attrs set
// last, over every other source: the variables blocks of a test file and
// of its run, in that order, evaluated in ctx (which gives them
// functions). A value for an undeclared variable is an error there, as for
// -var.
func (p *Parser) CollectVariablesWith(cfg *Config, args []VarArg, environ []string, attrs []*hcl.Attribute, ctx *hcl.EvalContext) (map[string]cty.Value, hcl.Diagnostics) {
	raw := map[string]rawVar{}
	var diags hcl.Diagnostics
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, VarEnvPrefix) {
			raw[strings.TrimPrefix(name, VarEnvPrefix)] = rawVar{str: val, source: "environment variable " + name}
		}
	}
	auto, err := autoVarFiles(cfg.Dir)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read variable files", Detail: err.Error()})
	}
	for _, f := range auto {
		diags = append(diags, p.readVarFile(cfg, f, raw)...)
	}
	for _, a := range args {
		if a.File != "" {
			diags = append(diags, p.readVarFile(cfg, a.File, raw)...)
			continue
		}
		if _, ok := cfg.Variables[a.Name]; !ok {
			diags = append(diags, undeclaredVar(a.Name, "-var option", cfg, nil, hcl.DiagError))
			continue
		}
		raw[a.Name] = rawVar{str: a.Value, source: "-var option"}
	}
	for _, attr := range attrs {
		if _, ok := cfg.Variables[attr.Name]; !ok {
			diags = append(diags, undeclaredVar(attr.Name, "variables block", cfg, attr.NameRange.Ptr(), hcl.DiagError))
			continue
		}
		raw[attr.Name] = rawVar{expr: attr.Expr, ctx: ctx, source: "variables block at " + attr.NameRange.String(), rng: attr.Expr.Range().Ptr()}
	}
	vals, moreDiags := resolveVars(cfg, raw)
	diags = append(diags, moreDiags...)
	if !diags.HasErrors() {
		diags = append(diags, validateVars(cfg, vals)...)
	}
	return vals, diags
}

// autoVarFiles lists promptform.pfvars then *.auto.pfvars in name order.
func autoVarFiles(dir string) ([]string, error) {
	var files []string
	if _, err := os.Stat(filepath.Join(dir, VarsFile)); err == nil {
		files = append(files, filepath.Join(dir, VarsFile))
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*"+AutoVarsSuffix))
	if err != nil {
		return nil, err
	}
	sort.Strings(matches)
	return append(files, matches...), nil
}

// readVarFile reads one variable file into raw. A value for an undeclared
// variable is a warning, as in Terraform: files are often shared between
// configurations.
func (p *Parser) readVarFile(cfg *Config, path string, raw map[string]rawVar) hcl.Diagnostics {
	if _, err := os.Stat(path); err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variable file",
			Detail:   fmt.Sprintf("The variable file %s cannot be read: %s.", path, err),
		}}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, diags = p.p.ParseJSONFile(path)
	} else {
		f, diags = p.p.ParseHCLFile(path)
	}
	if f == nil || diags.HasErrors() {
		return diags
	}
	attrs, moreDiags := f.Body.JustAttributes()
	diags = append(diags, moreDiags...)
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		attr := attrs[name]
		if _, ok := cfg.Variables[name]; !ok {
			diags = append(diags, undeclaredVar(name, path, cfg, attr.NameRange.Ptr(), hcl.DiagWarning))
			continue
		}
		raw[name] = rawVar{expr: attr.Expr, source: path, rng: attr.Expr.Range().Ptr()}
	}
	return diags
}

func undeclaredVar(name, source string, cfg *Config, rng *hcl.Range, sev hcl.DiagnosticSeverity) *hcl.Diagnostic {
	detail := fmt.Sprintf("The %s sets a variable named %q, but no variable block declares it.", source, name)
	if s := nameSuggestion(name, slices.Sorted(maps.Keys(cfg.Variables))); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else {
		detail += fmt.Sprintf(" Declare it with variable %q { ... } or remove the value.", name)
	}
	return &hcl.Diagnostic{Severity: sev, Summary: "Value for undeclared variable", Detail: detail, Subject: rng}
}

// resolveVars turns the raw values (and defaults) into typed values.
func resolveVars(cfg *Config, raw map[string]rawVar) (map[string]cty.Value, hcl.Diagnostics) {
	vals := map[string]cty.Value{}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		v := cfg.Variables[name]
		r, given := raw[name]
		if v.Model {
			diags = append(diags, rootModelVar(v))
			vals[name] = cty.DynamicVal
			continue
		}
		if !given {
			if v.Required() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "No value for required variable",
					Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: -var %s=VALUE, a line in %s, or the environment variable %s%s.",
						name, name, VarsFile, VarEnvPrefix, name),
					Subject: v.DeclRange.Ptr(),
				})
				vals[name] = cty.UnknownVal(v.Type)
				continue
			}
			vals[name] = v.Default
			continue
		}
		val, valDiags := r.value(v.Type)
		diags = append(diags, valDiags...)
		conv, err := Convert(val, v.Type)
		if err != nil && !valDiags.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail:   fmt.Sprintf("The value for variable %q from the %s is not suitable: %s.", name, r.source, err),
				Subject:  r.rng,
			})
		}
		if err != nil || valDiags.HasErrors() {
			conv = cty.UnknownVal(v.Type)
		}
		vals[name] = conv
	}
	return vals, diags
}

// rootModelVar reports a variable of type model in the root module, where
// nothing can set it, whether or not a value was given.
func rootModelVar(v *Variable) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Variable of type model in the root module",
		Detail: fmt.Sprintf("The variable %q has type model, which only a module block can set, by naming a model or fallback of the calling module. "+
			"In the root module, declare a model block and refer to it as model.NAME instead.", v.Name),
		Subject: v.DeclRange.Ptr(),
	}
}

// value reads a raw value. Strings from the command line or environment are
// taken literally for primitive types and parsed as HCL otherwise, as
// Terraform does.
func (r rawVar) value(ty cty.Type) (cty.Value, hcl.Diagnostics) {
	if r.expr != nil {
		return r.expr.Value(r.ctx)
	}
	if ty.IsPrimitiveType() {
		return cty.StringVal(r.str), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(r.str), r.source, hcl.InitialPos)
	var v cty.Value
	if !diags.HasErrors() {
		v, diags = expr.Value(nil)
	}
	if diags.HasErrors() {
		// A variable without a type takes a value that is not an HCL
		// expression (-var topic=hello) as the string it is.
		if ty == cty.DynamicPseudoType {
			return cty.StringVal(r.str), nil
		}
		return cty.DynamicVal, diags
	}
	return v, nil
}

// validateVars runs every variable's validation blocks.
func validateVars(cfg *Config, vals map[string]cty.Value) hcl.Diagnostics {
	marked := map[string]cty.Value{}
	for name, v := range vals {
		if cfg.Variables[name].Sensitive {
			v = v.Mark("sensitive") // keeps the value out of the diagnostic's "with ..." lines
		}
		marked[name] = v
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{RootVar: cty.ObjectVal(marked)},
		Functions: Functions(cfg.Dir),
	}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		for _, vd := range cfg.Variables[name].Validations {
			diags = append(diags, vd.Check(ctx)...)
		}
	}
	return diags
}

// Check evaluates the validation in ctx, which holds var, and reports a
// failed condition with its error message.
func (vd *Validation) Check(ctx *hcl.EvalContext) hcl.Diagnostics {
	result, diags := vd.Condition.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	result, _ = result.UnmarkDeep()
	result, err := convert.Convert(result, cty.Bool)
	if err != nil || result.IsNull() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid validation condition",
			Detail:   "The condition must be a boolean (true or false).",
			Subject:  vd.Condition.Range().Ptr(),
		}}
	}
	if !result.IsKnown() || result.True() {
		return nil
	}
	msg := "The value is not valid."
	if m, mDiags := vd.ErrorMessage.Value(ctx); !mDiags.HasErrors() && m.Type() == cty.String && m.IsKnown() && !m.IsNull() && !m.IsMarked() {
		msg = m.AsString()
	}
	return hcl.Diagnostics{{
		Severity:    hcl.DiagError,
		Summary:     "Invalid value for variable",
		Detail:      msg,
		Subject:     vd.Condition.Range().Ptr(),
		Expression:  vd.Condition,
		EvalContext: ctx,
	}}
}
