package executor

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// sensitiveText replaces a sensitive value in error text.
const sensitiveText = "(sensitive value)"

// redactor replaces the sensitive values of one request wherever they
// appear in text the gateway (or a tool) sent back: an error body that
// quotes the request must not show them on screen, in -json events or in
// the state. The zero redactor changes nothing.
type redactor struct {
	r *strings.Replacer
}

// sensitiveStrings returns every string inside the values of the
// configuration's sensitive variables, lists, maps and objects walked. Any
// non-empty string counts, however short: a one-letter secret then blots
// out that letter everywhere in a message, which is the price of never
// showing it.
func sensitiveStrings(p *planner.Plan) []string {
	var out []string
	for name, v := range p.Vars {
		if decl := p.Config.Variables[name]; decl != nil && decl.Sensitive {
			out = appendStrings(out, v)
		}
	}
	return out
}

// newRedactor returns the redactor of a request: the strings of the
// sensitive variables (see sensitiveStrings) and the whole text of each
// message of the request that uses a sensitive value.
func newRedactor(vars []string, r *planner.Rendered) redactor {
	secrets := slices.Clone(vars)
	for _, m := range r.Messages {
		if m.Sensitive {
			secrets = appendMessage(secrets, m)
		}
	}
	return newRedactorOf(secrets)
}

// newRedactorOf returns a redactor of the given values, each also in the
// forms an error message may quote it in: JSON-escaped, Go-quoted, and with
// its runs of white space collapsed, as an excerpt of a body shows them.
func newRedactorOf(secrets []string) redactor {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		for _, f := range quotedForms(s) {
			if f != "" && !seen[f] { // an empty value hides nothing
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return redactor{}
	}
	// Longest first: the Replacer tries the old strings in argument order
	// at each position, so a whole message wins over a value inside it.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, sensitiveText)
	}
	return redactor{r: strings.NewReplacer(pairs...)}
}

// quotedForms returns s as it may appear in an error message.
func quotedForms(s string) []string {
	forms := []string{s}
	for _, v := range []string{s, strings.Join(strings.Fields(s), " ")} {
		forms = append(forms, v, jsonInner(v, true), jsonInner(v, false), jsonInner(jsonInner(v, false), false))
		forms = append(forms, strings.Trim(strconv.Quote(v), `"`))
	}
	return forms
}

// jsonInner returns s encoded as a JSON string, without the quotes.
func jsonInner(s string, escapeHTML bool) string {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(s) != nil {
		return s
	}
	return strings.TrimSuffix(strings.TrimSpace(sb.String())[1:], `"`)
}

// appendStrings appends every string inside v.
func appendStrings(out []string, v cty.Value) []string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return out
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return append(out, v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = appendStrings(out, e)
		}
	}
	return out
}

// appendMessage appends the texts of a message: its content whole and
// part by part, and the arguments of its tool calls.
func appendMessage(out []string, m planner.RenderedMessage) []string {
	out = append(out, m.Wire.Content.String())
	for _, p := range m.Wire.Content.Parts {
		out = append(out, p.Text)
	}
	for _, tc := range m.Wire.ToolCalls {
		out = append(out, tc.Function.Arguments)
	}
	return out
}

// text returns s with every sensitive value replaced.
func (rd redactor) text(s string) string {
	if rd.r == nil {
		return s
	}
	return rd.r.Replace(s)
}

// error returns err with its text scrubbed; errors.Is and errors.As still
// see the original, so a scrubbed error keeps its class.
func (rd redactor) error(err error) error {
	if err == nil || rd.r == nil {
		return err
	}
	msg := rd.text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}

// attempts scrubs the errors of fallback attempts, which are recorded.
func (rd redactor) attempts(tried []state.ModelAttempt) {
	for i := range tried {
		tried[i].Error = rd.text(tried[i].Error)
	}
}

// scrubbedError is an error whose text has its sensitive values replaced.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
