package planner

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Segment is a piece of a message as the plan shows it: known text, or a
// part that is known only after apply.
type Segment struct {
	Text      string
	Unknown   bool
	Sensitive bool   // a part that uses a sensitive value: shown as (sensitive value)
	Ref       string // for an unknown part that is a plain reference: its spelling
}

// displaySegments renders a text expression for the plan. A template is
// rendered part by part, so that the known text around an unknown
// interpolation stays visible; any other expression is all known or all
// unknown.
func displaySegments(expr hcl.Expression, v cty.Value, ctx *hcl.EvalContext, sensitive bool) []Segment {
	if v.IsKnown() && !sensitive {
		return []Segment{{Text: v.AsString()}}
	}
	tmpl, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok && sensitive {
		return []Segment{{Sensitive: true}}
	}
	if !ok {
		seg := Segment{Unknown: true}
		if se, ok := expr.(hclsyntax.Expression); ok {
			seg.Ref = refSpelling(se)
		}
		return []Segment{seg}
	}
	var segs []Segment
	for _, part := range tmpl.Parts {
		pv, diags := part.Value(ctx)
		marked := false
		if !diags.HasErrors() {
			var marks cty.ValueMarks
			pv, marks = pv.UnmarkDeep()
			marked = len(marks) > 0
			pv, _ = convert.Convert(pv, cty.String)
		}
		switch {
		case marked:
			segs = append(segs, Segment{Sensitive: true})
		case diags.HasErrors() || pv == cty.NilVal || !pv.IsKnown():
			segs = appendSegment(segs, Segment{Unknown: true, Ref: refSpelling(part)})
		case pv.IsNull():
		default:
			segs = appendSegment(segs, Segment{Text: pv.AsString()})
		}
	}
	return segs
}

// appendSegment merges adjacent text segments.
func appendSegment(segs []Segment, s Segment) []Segment {
	if n := len(segs); n > 0 && !s.Unknown && !s.Sensitive && !segs[n-1].Unknown && !segs[n-1].Sensitive {
		segs[n-1].Text += s.Text
		return segs
	}
	return append(segs, s)
}

// refSpelling returns "step.a.output" for a plain reference expression, or "".
func refSpelling(e hclsyntax.Expression) string {
	if w, ok := e.(*hclsyntax.TemplateWrapExpr); ok {
		e = w.Wrapped
	}
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	if !ok {
		return ""
	}
	return traversalSpelling(st.Traversal)
}

// traversalSpelling spells a reference as written: step.a.output,
// step.b["fr"].output, step.c[0].result.
func traversalSpelling(t hcl.Traversal) string {
	var sb strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(s.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			switch {
			case s.Key.Type() == cty.String:
				sb.WriteString(fmt.Sprintf("[%q]", s.Key.AsString()))
			case s.Key.Type() == cty.Number:
				sb.WriteString("[" + s.Key.AsBigFloat().Text('f', -1) + "]")
			}
		}
	}
	return sb.String()
}

// SensitiveText is how the plan, show and state show print a value that
// uses a sensitive one.
const SensitiveText = "(sensitive value)"

// KnownAfterApply is how the plan shows a value that depends on a step that
// has not run.
const KnownAfterApply = "(known after apply)"
