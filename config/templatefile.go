package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// maxTemplateDepth is how deeply templatefile calls may nest: a template
// that renders a template that renders a template, and so on. A template
// that renders itself, directly or through others, is an error at any
// depth; this limit stops chains of distinct files.
const maxTemplateDepth = 32

// makeTemplateFileFunc returns templatefile(path, vars): the file is an HCL
// template that sees only vars (and these functions), so that every
// reference a prompt makes stays visible in the configuration. chain holds
// the templates being rendered around this call, outermost first.
func makeTemplateFileFunc(baseDir string, chain []string) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "path", Type: cty.String},
			{Name: "vars", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := filepath.Clean(args[0].AsString())
			inner := append(slices.Clip(chain), name)
			switch {
			case slices.Contains(chain, name):
				return cty.NilVal, &templateChainError{chain: inner, cycle: true}
			case len(chain) >= maxTemplateDepth:
				return cty.NilVal, &templateChainError{chain: inner}
			}
			vars := args[1]
			if !vars.Type().IsObjectType() && !vars.Type().IsMapType() {
				return cty.NilVal, function.NewArgErrorf(1, "vars must be an object or a map")
			}
			return renderTemplate(baseDir, inner, vars.AsValueMap())
		},
	})
}

// renderTemplate renders the last template of chain with vars.
func renderTemplate(baseDir string, chain []string, vars map[string]cty.Value) (cty.Value, error) {
	path := chain[len(chain)-1]
	if !filepath.IsAbs(path) {
		path = filepath.Join(baseDir, path)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return cty.NilVal, function.NewArgErrorf(0, "cannot read template: %s", err)
	}
	expr, diags := hclsyntax.ParseTemplate(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, function.NewArgErrorf(0, "%s", diags.Error())
	}
	ctx := &hcl.EvalContext{Variables: vars, Functions: functions(baseDir, chain)}
	val, diags := expr.Value(ctx)
	if diags.HasErrors() {
		if err := innerChainError(diags); err != nil {
			return cty.NilVal, err
		}
		return cty.NilVal, function.NewArgErrorf(0, "%s", diags.Error())
	}
	out, err := Convert(val, cty.String)
	if err != nil {
		return cty.NilVal, function.NewArgErrorf(0, "template result is not a string: %s", err)
	}
	return out, nil
}

// templateChainError is a chain of templatefile calls that cannot be
// rendered: one that reaches a template already being rendered (cycle), or
// one nested deeper than maxTemplateDepth. It is reported once, by the
// outermost call, with where each template calls the next.
type templateChainError struct {
	chain []string    // the templates, outermost first
	calls []hcl.Range // calls[i] is where chain[i] calls chain[i+1], as far as known
	cycle bool
}

func (e *templateChainError) Error() string {
	var b strings.Builder
	if e.cycle {
		b.WriteString("a template cannot render itself, directly or through other templates: ")
	} else {
		fmt.Fprintf(&b, "templatefile calls are nested more than %d deep: ", maxTemplateDepth)
	}
	b.WriteString(strings.Join(e.chain, " → "))
	for i, rng := range e.calls {
		sep := "; "
		if i > 0 {
			sep = ", "
		}
		fmt.Fprintf(&b, "%s%s calls %s at %s", sep, e.chain[i], e.chain[i+1], rng)
	}
	return b.String()
}

// innerChainError finds a templateChainError among the diagnostics of a
// template and returns it with the call that led to it, in that template,
// put first; nil when there is none.
func innerChainError(diags hcl.Diagnostics) error {
	for _, d := range diags {
		extra, ok := hcl.DiagnosticExtra[hclsyntax.FunctionCallDiagExtra](d)
		var inner *templateChainError
		if !ok || d.Subject == nil || !errors.As(extra.FunctionCallError(), &inner) {
			continue
		}
		calls := append([]hcl.Range{*d.Subject}, inner.calls...)
		return &templateChainError{chain: inner.chain, calls: calls, cycle: inner.cycle}
	}
	return nil
}
