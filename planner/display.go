package planner

import (
	"fmt"
	"github.com/promptform/promptform/addrs"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/promptform/promptform/config"
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
// unknown. vars holds how the variables of a module that are not known
// yet were rendered in the calling module: a reference to one shows the
// caller's text, with its own unknown parts.
func displaySegments(expr hcl.Expression, v cty.Value, ctx *hcl.EvalContext, sensitive bool, vars map[string][]Segment) []Segment {
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
		if segs := varSegments(seg.Ref, vars); segs != nil {
			return segs
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
			ref := refSpelling(part)
			if vs := varSegments(ref, vars); vs != nil {
				for _, s := range vs {
					segs = appendSegment(segs, s)
				}
				continue
			}
			segs = appendSegment(segs, Segment{Unknown: true, Ref: ref})
		case pv.IsNull():
		default:
			segs = appendSegment(segs, Segment{Text: pv.AsString()})
		}
	}
	return segs
}

// varSegments returns how the module variable a reference names (var.X)
// was rendered by its caller, or nil.
func varSegments(ref string, vars map[string][]Segment) []Segment {
	name, ok := strings.CutPrefix(ref, config.RootVar+".")
	if !ok {
		return nil
	}
	return vars[name]
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
	return addrs.TraversalText(st.Traversal)
}

// SensitiveText is how the plan, show and state show print a value that
// uses a sensitive one.
const SensitiveText = "(sensitive value)"

// KnownAfterApply is how the plan shows a value that depends on a step that
// has not run.
const KnownAfterApply = "(known after apply)"

// Sensitive reports whether the request uses a sensitive value: in a
// message, in another field, or in the settings of a later model of its
// fallback chain. Then the request may be sent and recorded, but its
// sensitive parts are not shown, and the step's answer is sensitive too.
func (r *Rendered) Sensitive() bool {
	return len(r.SensitiveMessages()) > 0 || len(r.SensitiveFields()) > 0 || r.chainSensitive()
}

// SensitiveMessages returns the indexes, from 0, of the messages that use a
// sensitive value: the ones the plan, show and state show redact. It is nil
// when there are none.
func (r *Rendered) SensitiveMessages() []int {
	var out []int
	for i, m := range r.Messages {
		if m.Sensitive {
			out = append(out, i)
		}
	}
	return out
}

// SensitiveFields returns the fields of the request besides its messages
// that use a sensitive value, as paths into its JSON: top-level fields
// ("max_tokens", "user") and fields of the fallback entries a gateway chain
// sends ("fallbacks.0.metadata"). Sorted; nil when there are none.
func (r *Rendered) SensitiveFields() []string {
	out := r.topSensitiveFields()
	if f := r.Fallback; f != nil && f.Mode == config.FallbackGateway && len(f.Models) > 1 {
		for i, m := range f.Models[1:] {
			for _, name := range m.sensitiveFields() {
				out = append(out, fmt.Sprintf("fallbacks.%d.%s", i, name))
			}
		}
	}
	slices.Sort(out)
	return out
}

// SensitiveField reports whether the top-level request field name (a
// setting or a param) uses a sensitive value.
func (r *Rendered) SensitiveField(name string) bool {
	return slices.Contains(r.topSensitiveFields(), name)
}

// topSensitiveFields lists the settings and params sent to r.Model that use
// a sensitive value.
func (r *Rendered) topSensitiveFields() []string {
	var out []string
	set := map[string]bool{"max_tokens": r.MaxTokens != nil, "temperature": r.Temperature != nil, "stream": r.Stream != nil}
	for _, name := range []string{"max_tokens", "temperature", "stream"} {
		if set[name] && r.sensitive[name] {
			out = append(out, name)
		}
	}
	return append(out, markedParams(r.Params)...)
}

// chainSensitive reports whether, in a client-mode chain, the request sent
// to a later model uses a sensitive value in its settings or params: that
// model may give the answer.
func (r *Rendered) chainSensitive() bool {
	f := r.Fallback
	if f == nil || f.Mode == config.FallbackGateway || len(f.Models) < 2 {
		return false
	}
	for _, m := range f.Models[1:] {
		cp := *r
		cp.applyModel(m)
		if len(cp.topSensitiveFields()) > 0 {
			return true
		}
	}
	return false
}

// sensitiveFields lists the fields of m's fallback entry in a gateway chain
// (its max_tokens, temperature and params) that use a sensitive value.
func (m *Model) sensitiveFields() []string {
	var out []string
	if m.MaxTokens != nil && m.sensitive["max_tokens"] {
		out = append(out, "max_tokens")
	}
	if m.Temperature != nil && m.sensitive["temperature"] {
		out = append(out, "temperature")
	}
	return append(out, markedParams(m.Params)...)
}

// markedParams returns the names of the params that carry a mark, sorted.
func markedParams(params map[string]cty.Value) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if params[k].ContainsMarked() {
			out = append(out, k)
		}
	}
	return out
}
