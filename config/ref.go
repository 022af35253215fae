package config

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Root names that may start a traversal in a dynamic expression.
const (
	RootVar   = "var"
	RootLocal = "local"
	RootStep  = "step"
	RootEach  = "each"
	RootCount = "count"
	RootSelf  = "self"
	// model.NAME and fallback.NAME are values: what a step's model
	// expression yields.
	RootModel    = "model"
	RootFallback = "fallback"
	// promptform.workspace is the name of the current workspace.
	RootPromptform = "promptform"
	// module.NAME refers to the outputs of a module call, or of one of
	// its instances: module.NAME["key"].
	RootModule = "module"
)

// nameOnlyRoots are block kinds referred to only in name positions.
var nameOnlyRoots = map[string]string{
	"gateway": "a model's gateway attribute",
	"schema":  "a step's schema attribute",
	"tool":    "a step's tools attribute",
}

// valueRoots are the roots a dynamic expression may start with.
var valueRoots = []string{RootVar, RootLocal, RootStep, RootEach, RootCount, RootModel, RootFallback, RootModule, RootPromptform}

// Ref is a reference found in configuration: var.NAME, local.NAME,
// step.NAME or module.NAME (with an optional literal instance key),
// each.key, each.value, count.index, model.NAME, fallback.NAME, or a name
// reference such as schema.NAME.
type Ref struct {
	Type        string    // the root: "var", "local", "step", "module", "model", ...
	Name        string    // the referenced name; for each and count the attribute
	Key         cty.Value // a step or module instance key given literally, or cty.NilVal
	Remaining   hcl.Traversal
	SourceRange hcl.Range
}

// String returns the reference in HCL spelling, without Remaining.
func (r Ref) String() string {
	return r.Type + "." + r.Name
}

// ParseRef turns a traversal from a dynamic expression into a Ref, or
// reports why it cannot be one.
func ParseRef(t hcl.Traversal) (*Ref, hcl.Diagnostics) {
	root := t.RootName()
	rng := t.SourceRange()
	switch root {
	case RootVar, RootLocal, RootStep, RootEach, RootCount, RootSelf, RootModel, RootFallback, RootPromptform, RootModule:
	default:
		if where, ok := nameOnlyRoots[root]; ok {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  fmt.Sprintf("Invalid reference to a %s", root),
				Detail:   fmt.Sprintf("A %s is not a value; it can be named only in %s.", root, where),
				Subject:  rng.Ptr(),
			}}
		}
		detail := fmt.Sprintf("There is no variable named %q.", root)
		if s := nameSuggestion(root, valueRoots); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown variable",
			Detail:   detail,
			Subject:  rng.Ptr(),
		}}
	}
	if len(t) < 2 {
		return nil, refError(root, rng)
	}
	attr, ok := t[1].(hcl.TraverseAttr)
	if !ok {
		return nil, refError(root, rng)
	}
	ref := &Ref{Type: root, Name: attr.Name, SourceRange: rng, Remaining: t[2:]}
	if (root == RootStep || root == RootModule) && len(ref.Remaining) > 0 {
		if idx, ok := ref.Remaining[0].(hcl.TraverseIndex); ok {
			ref.Key = idx.Key
			ref.Remaining = ref.Remaining[1:]
		}
	}
	return ref, nil
}

func refError(root string, rng hcl.Range) hcl.Diagnostics {
	detail := fmt.Sprintf("A reference to %s must name what it refers to, as in %s.NAME.", root, root)
	switch root {
	case RootStep:
		detail = "Step references must name the step directly, as in step.summarize.output; a step cannot be chosen by an expression."
	case RootModule:
		detail = "Module references must name the module call directly, as in module.summary.text; a module call cannot be chosen by an expression."
	case RootEach:
		detail = "Use each.key or each.value."
	case RootCount:
		detail = "Use count.index."
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid reference",
		Detail:   detail,
		Subject:  rng.Ptr(),
	}}
}

// decodeNameRef reads a name reference such as model.fast from an attribute
// expression, without evaluating it. kinds lists the roots accepted; the
// first names the reference in messages.
func decodeNameRef(expr hcl.Expression, kinds ...string) (*Ref, hcl.Diagnostics) {
	t, diags := hcl.AbsTraversalForExpr(expr)
	var attr hcl.TraverseAttr
	if !diags.HasErrors() && len(t) == 2 {
		attr, _ = t[1].(hcl.TraverseAttr)
	}
	if attr.Name == "" || !slices.Contains(kinds, t.RootName()) {
		want := kinds[0] + ".NAME"
		for _, k := range kinds[1:] {
			want += " or " + k + ".NAME"
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Invalid %s reference", kinds[0]),
			Detail:   fmt.Sprintf("Expected the name of a %s, such as %s.", kinds[0], want),
			Subject:  expr.Range().Ptr(),
		}}
	}
	return &Ref{Type: t.RootName(), Name: attr.Name, SourceRange: t.SourceRange()}, nil
}

// decodeNameRefList reads a list of name references, such as depends_on.
func decodeNameRefList(expr hcl.Expression, kind string) ([]Ref, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	var refs []Ref
	for _, e := range exprs {
		ref, refDiags := decodeNameRef(e, kind)
		diags = append(diags, refDiags...)
		if ref != nil {
			refs = append(refs, *ref)
		}
	}
	return refs, diags
}
