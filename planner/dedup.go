package planner

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A mistake in a step with many instances is found once per instance. The
// plan reports it once, with its location, and says how many more
// instances hit it; diagnostics that truly differ are all kept.

// diagKey identifies a diagnostic for merging: its detail is normalized so
// that copies that differ only by an instance key compare equal.
type diagKey struct {
	severity   hcl.DiagnosticSeverity
	summary    string
	detail     string
	subject    hcl.Range
	hasSubject bool
}

func keyOf(d *hcl.Diagnostic, detail string) diagKey {
	k := diagKey{severity: d.Severity, summary: d.Summary, detail: detail}
	if d.Subject != nil {
		k.subject, k.hasSubject = *d.Subject, true
	}
	return k
}

// diagGroup is a diagnostic and how many more copies of it were merged,
// and whether any of them differed from it in its detail.
type diagGroup struct {
	diag   *hcl.Diagnostic
	more   int
	varied bool
}

// merger merges diagnostics in the order they are added.
type merger struct {
	groups []*diagGroup
	index  map[diagKey]*diagGroup
}

func (m *merger) add(d *hcl.Diagnostic, normalized string) {
	if m.index == nil {
		m.index = map[diagKey]*diagGroup{}
	}
	k := keyOf(d, normalized)
	if g, ok := m.index[k]; ok {
		g.more++
		g.varied = g.varied || g.diag.Detail != d.Detail
		return
	}
	g := &diagGroup{diag: d}
	m.index[k] = g
	m.groups = append(m.groups, g)
}

// result returns one diagnostic per group, the merged ones with note
// appended to a copy of their detail.
func (m *merger) result(note func(*diagGroup) string) hcl.Diagnostics {
	out := make(hcl.Diagnostics, 0, len(m.groups))
	for _, g := range m.groups {
		if g.more == 0 {
			out = append(out, g.diag)
			continue
		}
		d := *g.diag
		d.Detail = strings.TrimSpace(d.Detail + " " + note(g))
		out = append(out, &d)
	}
	return out
}

// instanceDiags collects the diagnostics of one step's instances.
type instanceDiags struct {
	step string
	merger
}

// add adds the diagnostics of one instance; a copy of its key in a detail
// does not make it differ from another instance's.
func (d *instanceDiags) add(inst *Instance, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	key := keyText(inst.Addr.Key)
	for _, diag := range diags {
		d.merger.add(diag, replaceKey(diag.Detail, key))
	}
}

// replaceKey replaces the copies of key in s that stand on their own: not
// run into letters when they start or end with a letter, nor into digits
// when they start or end with a digit ("in3.txt" holds the key 3, "13"
// does not).
func replaceKey(s, key string) string {
	if key == "" {
		return s
	}
	first, _ := utf8.DecodeRuneInString(key)
	last, _ := utf8.DecodeLastRuneInString(key)
	var b strings.Builder
	done := 0 // s[:done] is written
	for from := 0; ; {
		i := strings.Index(s[from:], key)
		if i < 0 {
			b.WriteString(s[done:])
			return b.String()
		}
		i += from
		end := i + len(key)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		runsOn := i > 0 && runsInto(before, first) || end < len(s) && runsInto(after, last)
		if runsOn {
			from = i + 1
			continue
		}
		b.WriteString(s[done:i])
		b.WriteByte(0)
		done, from = end, end
	}
}

// runsInto reports whether r and k are both letters or both digits.
func runsInto(r, k rune) bool {
	c := runeClass(k)
	return c != 0 && runeClass(r) == c
}

// runeClass is 1 for a letter, 2 for a digit, 0 for anything else.
func runeClass(r rune) int {
	switch {
	case unicode.IsLetter(r):
		return 1
	case unicode.IsDigit(r):
		return 2
	}
	return 0
}

func (d *instanceDiags) diagnostics() hcl.Diagnostics {
	return d.result(func(g *diagGroup) string {
		return fmt.Sprintf("The same problem occurs in %s of %s.", Plural(g.more, "more instance"), d.step)
	})
}

// keyText is an instance key as it shows in messages: the string, or the
// index; "" for none.
func keyText(k cty.Value) string {
	switch {
	case k == cty.NilVal || k.IsNull() || !k.IsKnown():
		return ""
	case k.Type() == cty.String:
		return k.AsString()
	case k.Type() == cty.Number:
		return k.AsBigFloat().Text('f', -1)
	}
	return ""
}

// instanceAddr matches the address of a step instance in a message.
var instanceAddr = regexp.MustCompile(`step\.[A-Za-z_][A-Za-z0-9_-]*\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]`)

// mergeRepeated merges diagnostics that are the same, and located ones that
// are the same but for the step instance addresses in their details, as the
// model checks report for each instance. A diagnostic without a location
// (about a command-line address) is only merged with identical copies: its
// address is what tells it apart. The input is not changed.
func mergeRepeated(diags hcl.Diagnostics) hcl.Diagnostics {
	var m merger
	for _, d := range diags {
		norm := d.Detail
		if d.Subject != nil {
			norm = instanceAddr.ReplaceAllStringFunc(norm, func(a string) string {
				return a[:strings.IndexByte(a, '[')] + "[*]"
			})
		}
		m.add(d, norm)
	}
	return m.result(func(g *diagGroup) string {
		if g.varied {
			return fmt.Sprintf("The same problem occurs in %s.", Plural(g.more, "more instance"))
		}
		return fmt.Sprintf("The same problem occurs %s.", Plural(g.more, "more time"))
	})
}

// Plural returns "1 thing" or "n things".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
