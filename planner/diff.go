package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
)

// RequestText renders a request for people to read and diff: one line per
// setting, and each message's text on lines of its own, so that a changed
// line of a prompt is one changed line, not a changed escaped string.
func RequestText(req *gateway.Request) string {
	return requestText(req, redaction{})
}

// redaction says which parts of a request are not shown: the messages for
// which message is true, and the fields at the paths of fields (see
// RedactFields).
type redaction struct {
	message func(int) bool
	fields  []string
}

// hidesMessage reports whether message i is hidden.
func (rd redaction) hidesMessage(i int) bool { return rd.message != nil && rd.message(i) }

// setting is the text of a top-level field: its value, or (sensitive
// value) when it is hidden.
func (rd redaction) setting(name, value string) string {
	if slices.Contains(rd.fields, name) {
		value = SensitiveText
	}
	return name + " = " + value + "\n"
}

// requestText is RequestText with the parts rd hides shown as (sensitive
// value); a hidden message's other fields are left out.
func requestText(req *gateway.Request, rd redaction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model = %q\n", req.Model)
	if req.MaxTokens != nil {
		b.WriteString(rd.setting("max_tokens", fmt.Sprint(*req.MaxTokens)))
	}
	if req.Temperature != nil {
		b.WriteString(rd.setting("temperature", fmt.Sprintf("%g", *req.Temperature)))
	}
	if req.Stream != nil {
		b.WriteString(rd.setting("stream", fmt.Sprint(*req.Stream)))
	}
	for _, k := range slices.Sorted(maps.Keys(req.Extra)) {
		b.WriteString(rd.setting(k, compactJSON(req.Extra[k])))
	}
	if req.ToolChoice != nil {
		fmt.Fprintf(&b, "tool_choice = %s\n", mustJSON(req.ToolChoice))
	}
	for _, t := range req.Tools {
		fmt.Fprintf(&b, "tool %s = %s\n", t.Function.Name, mustJSON(t.Function))
	}
	if rf := req.ResponseFormat; rf != nil {
		fmt.Fprintf(&b, "response_format = %s\n", mustJSON(rf))
	}
	for i, f := range req.Fallbacks {
		fmt.Fprintf(&b, "fallback = %s\n", rd.fallbackText(i, f))
	}
	if req.FallbackConfig != nil {
		fmt.Fprintf(&b, "fallback_config = %s\n", mustJSON(req.FallbackConfig))
	}
	for i, m := range req.Messages {
		hidden := rd.hidesMessage(i)
		extras := messageExtras(m)
		text := m.Content.String()
		switch {
		case hidden:
			extras, text = "", SensitiveText
		case m.Content.IsNull():
			text = "(no content)"
		}
		fmt.Fprintf(&b, "message %d (%s)%s:\n", i+1, m.Role, extras)
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString("  " + line + "\n")
		}
	}
	return b.String()
}

// fallbackText is fallback entry i in JSON, its hidden fields redacted.
func (rd redaction) fallbackText(i int, f gateway.Fallback) string {
	prefix := fmt.Sprintf("fallbacks.%d.", i)
	var sub []string
	for _, p := range rd.fields {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			sub = append(sub, rest)
		}
	}
	text := mustJSON(f)
	var entry any
	if len(sub) == 0 || decodeNumbers([]byte(text), &entry) != nil {
		return text
	}
	RedactFields(entry, sub)
	return mustJSON(entry)
}

// RedactFields replaces, in a decoded JSON document, the value at each path
// with (sensitive value). A path is a field name ("user"), or names and
// array indexes joined by dots ("fallbacks.0.metadata"); a path that leads
// nowhere is skipped.
func RedactFields(doc any, paths []string) {
	for _, p := range paths {
		parts := strings.Split(p, ".")
		node := doc
		for _, part := range parts[:len(parts)-1] {
			node = child(node, part)
		}
		last := parts[len(parts)-1]
		switch n := node.(type) {
		case map[string]any:
			if _, ok := n[last]; ok {
				n[last] = SensitiveText
			}
		case []any:
			if i, err := strconv.Atoi(last); err == nil && i >= 0 && i < len(n) {
				n[i] = SensitiveText
			}
		}
	}
}

// child is the member or element of a decoded JSON node, or nil.
func child(node any, key string) any {
	switch n := node.(type) {
	case map[string]any:
		return n[key]
	case []any:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n) {
			return n[i]
		}
	}
	return nil
}

// decodeNumbers decodes JSON, its numbers kept as written.
func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// messageExtras lists a message's fields besides its role and content.
func messageExtras(m gateway.Message) string {
	var parts []string
	if m.Name != "" {
		parts = append(parts, "name "+m.Name)
	}
	if m.ToolCallID != "" {
		parts = append(parts, "answers "+m.ToolCallID)
	}
	for _, c := range m.ToolCalls {
		parts = append(parts, fmt.Sprintf("calls %s(%s)", c.Function.Name, c.Function.Arguments))
	}
	if len(m.CacheControl) > 0 {
		parts = append(parts, "cache_control "+compactJSON(m.CacheControl))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return compactJSON(b)
}

func compactJSON(b []byte) string {
	canon, err := gateway.CanonicalJSON(b)
	if err != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, b) != nil {
			return string(b)
		}
		return buf.String()
	}
	return string(canon)
}

// RedactedMessages reports which messages of a recorded request are not
// shown: those that used a sensitive value. A sensitive record that lists
// neither messages nor fields hides them all: one written by an earlier
// promptform, or one whose request was plain but whose client-mode chain
// sent a sensitive setting to a later model.
func RedactedMessages(rec *state.Step) func(i int) bool {
	if !rec.Sensitive {
		return func(int) bool { return false }
	}
	if len(rec.SensitiveMessages) == 0 && len(rec.SensitiveFields) == 0 {
		return func(int) bool { return true }
	}
	return func(i int) bool { return slices.Contains(rec.SensitiveMessages, i) }
}

// Diff returns a unified diff, three lines of context, of the recorded
// request against the new one, for a rerun whose request is known; "" when
// there is nothing to compare.
func (c *Change) Diff() string {
	if c.Prior == nil || c.Request == nil {
		return ""
	}
	var old gateway.Request
	if err := json.Unmarshal(c.Prior.Request, &old); err != nil {
		return ""
	}
	planned := redaction{}
	if r := c.Rendered; r != nil {
		planned = redaction{message: func(i int) bool { return i < len(r.Messages) && r.Messages[i].Sensitive }, fields: r.SensitiveFields()}
	}
	if RequestText(&old) == RequestText(c.Request) {
		return "" // the same request, asked again (-replace)
	}
	recorded := redaction{message: RedactedMessages(c.Prior)}
	if c.Prior.Sensitive {
		recorded.fields = c.Prior.SensitiveFields
	}
	a, b := requestText(&old, recorded), requestText(c.Request, planned)
	if a == b {
		return "  (the change is in a part that uses a sensitive value, so it is not shown)\n"
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        difflib.SplitLines(a),
		B:        difflib.SplitLines(b),
		FromFile: "recorded",
		ToFile:   "planned",
		Context:  3,
	})
	if err != nil {
		return ""
	}
	return diff
}
