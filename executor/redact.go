package executor

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// sensitiveText replaces a sensitive value in error text.
const sensitiveText = "(sensitive value)"

// redactor replaces the sensitive values of one request wherever they
// appear in text the gateway (or a tool) sent back: an error body that
// quotes the request must not show them on screen, in -json events or in
// the state. It finds a value however a JSON encoder or Go quoting
// escaped it, once or twice (see redactor.text). The zero redactor
// changes nothing.
type redactor struct {
	values []string // non-empty
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
	params := []map[string]cty.Value{r.Params}
	if r.Fallback != nil {
		for _, m := range r.Fallback.Models {
			params = append(params, m.Params)
		}
	}
	for _, ps := range params {
		for _, v := range ps {
			if v.ContainsMarked() {
				secrets = appendStrings(secrets, v) // a sensitive step's answer used in params
			}
		}
	}
	return newRedactorOf(secrets)
}

// newRedactorOf returns a redactor of the given values. An empty value
// hides nothing and is left out.
func newRedactorOf(secrets []string) redactor {
	return redactor{values: slices.DeleteFunc(slices.Clone(secrets), func(s string) bool { return s == "" })}
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

// text returns s with every sensitive value replaced. A value is looked
// for in s as it is, then with one and two levels of escapes undone (a
// JSON error that quotes the request, itself quoted or JSON-encoded
// again), each also with its runs of white space collapsed (as an excerpt
// of a body shows them). Where found values overlap, as a whole message
// and a value inside it do, the text they cover together is replaced once.
func (rd redactor) text(s string) string {
	if len(rd.values) == 0 {
		return s
	}
	exact, collapsed := rd.needles()
	var spans []span
	v := identity(s)
	for level := 0; ; level++ {
		spans = v.find(exact, spans)
		spans = v.collapse().find(collapsed, spans)
		if level == 2 || !strings.Contains(v.text, `\`) {
			break
		}
		v = v.unescape()
	}
	return replaceSpans(s, spans)
}

// needles returns the distinct values, and their distinct forms with runs
// of white space collapsed.
func (rd redactor) needles() (exact, collapsed []string) {
	exact = slices.Compact(slices.Sorted(slices.Values(rd.values)))
	for _, e := range exact {
		if c := strings.Join(strings.Fields(e), " "); c != "" {
			collapsed = append(collapsed, c)
		}
	}
	return exact, slices.Compact(slices.Sorted(slices.Values(collapsed)))
}

// error returns err with its text scrubbed; errors.Is and errors.As still
// see the original, so a scrubbed error keeps its class.
func (rd redactor) error(err error) error {
	if err == nil || len(rd.values) == 0 {
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

// span is a byte range [from, to) of a text.
type span struct{ from, to int }

// replaceSpans returns s with each group of overlapping spans replaced by
// sensitiveText.
func replaceSpans(s string, spans []span) string {
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var sb strings.Builder
	last := 0 // the end of what is written
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].from < cur.to; i++ {
			cur.to = max(cur.to, spans[i].to)
		}
		sb.WriteString(s[last:cur.from])
		sb.WriteString(sensitiveText)
		last = cur.to
	}
	sb.WriteString(s[last:])
	return sb.String()
}

// view is a reading of a text, with its escapes undone or its white space
// collapsed. Byte i of the view came from bytes [from[i], to[i]) of the
// text, so a value found in the view is a span of the text.
type view struct {
	text     string
	from, to []int
}

// identity returns the view of s as it is.
func identity(s string) view {
	v := view{text: s, from: make([]int, len(s)), to: make([]int, len(s))}
	for i := range len(s) {
		v.from[i], v.to[i] = i, i+1
	}
	return v
}

// find appends the span of every occurrence in v of each needle.
func (v view) find(needles []string, spans []span) []span {
	for _, n := range needles {
		for start := 0; ; {
			i := strings.Index(v.text[start:], n)
			if i < 0 {
				break
			}
			i += start
			spans = append(spans, span{v.from[i], v.to[i+len(n)-1]})
			start = i + 1
		}
	}
	return spans
}

// viewBuilder builds a view from units of another: each unit, a run of
// bytes of that view, becomes a string that keeps the unit's span.
type viewBuilder struct {
	src      view
	text     []byte
	from, to []int
}

// newViewBuilder returns a builder of a view of src, which is at most as
// long as src.
func newViewBuilder(src view) *viewBuilder {
	n := len(src.text)
	return &viewBuilder{src: src, text: make([]byte, 0, n), from: make([]int, 0, n), to: make([]int, 0, n)}
}

// add appends s as the reading of src's bytes [i, j).
func (b *viewBuilder) add(s string, i, j int) {
	b.text = append(b.text, s...)
	for range len(s) {
		b.from = append(b.from, b.src.from[i])
		b.to = append(b.to, b.src.to[j-1])
	}
}

func (b *viewBuilder) view() view { return view{text: string(b.text), from: b.from, to: b.to} }

// unescape returns v with one level of escapes undone: JSON's (\" \\ \/
// \b \f \n \r \t and \uXXXX in either case, with surrogate pairs) and
// Go's (\a \v \xXX and \UXXXXXXXX). Any other backslash stays as it is.
func (v view) unescape() view {
	b := newViewBuilder(v)
	for i := 0; i < len(v.text); {
		s, n := unescapeAt(v.text[i:])
		b.add(s, i, i+n)
		i += n
	}
	return b.view()
}

// unescapeAt returns the reading of the escape at the start of s and its
// length, or s's first byte as it is.
func unescapeAt(s string) (string, int) {
	if len(s) < 2 || s[0] != '\\' {
		return s[:1], 1
	}
	if i := strings.IndexByte(`"\/bfnrtav`, s[1]); i >= 0 {
		return "\"\\/\b\f\n\r\t\a\v"[i : i+1], 2
	}
	switch s[1] {
	case 'x':
		if r, ok := hexAt(s, 2, 2); ok && r < utf8.RuneSelf {
			return string(r), 4
		}
	case 'U':
		if r, ok := hexAt(s, 2, 8); ok && utf8.ValidRune(r) {
			return string(r), 10
		}
	case 'u':
		return unescapeUTF16(s)
	}
	return s[:1], 1
}

// unescapeUTF16 reads the \uXXXX escape at the start of s, with the low
// half that must follow a high surrogate. A lone surrogate stays as it is.
func unescapeUTF16(s string) (string, int) {
	r, ok := hexAt(s, 2, 4)
	switch {
	case !ok:
	case !utf16.IsSurrogate(r):
		return string(r), 6
	case strings.HasPrefix(s[6:], `\u`):
		if lo, ok := hexAt(s, 8, 4); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				return string(pair), 12
			}
		}
	}
	return s[:1], 1
}

// hexAt reads the n hex digits of s at i.
func hexAt(s string, i, n int) (rune, bool) {
	if len(s) < i+n {
		return 0, false
	}
	u, err := strconv.ParseUint(s[i:i+n], 16, 32)
	return rune(u), err == nil
}

// collapse returns v with each run of white space read as one space.
func (v view) collapse() view {
	b := newViewBuilder(v)
	for i := 0; i < len(v.text); {
		r, n := utf8.DecodeRuneInString(v.text[i:])
		if !unicode.IsSpace(r) {
			b.add(v.text[i:i+n], i, i+n)
			i += n
			continue
		}
		j := i + n
		for j < len(v.text) {
			r, n := utf8.DecodeRuneInString(v.text[j:])
			if !unicode.IsSpace(r) {
				break
			}
			j += n
		}
		b.add(" ", i, j)
		i = j
	}
	return b.view()
}
