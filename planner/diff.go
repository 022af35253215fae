package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
)

// RequestText renders a request for people to read and diff: one line per
// setting, and each message's text on lines of its own, so that a changed
// line of a prompt is one changed line, not a changed escaped string.
func RequestText(req *gateway.Request) string {
	return requestText(req, nil)
}

// requestText is RequestText with the messages for which redact is true
// shown as (sensitive value), their other fields left out.
func requestText(req *gateway.Request, redact func(int) bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model = %q\n", req.Model)
	if req.MaxTokens != nil {
		fmt.Fprintf(&b, "max_tokens = %d\n", *req.MaxTokens)
	}
	if req.Temperature != nil {
		fmt.Fprintf(&b, "temperature = %g\n", *req.Temperature)
	}
	if req.Stream != nil {
		fmt.Fprintf(&b, "stream = %t\n", *req.Stream)
	}
	for _, k := range sortedKeys(req.Extra) {
		fmt.Fprintf(&b, "%s = %s\n", k, compactJSON(req.Extra[k]))
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
	for _, f := range req.Fallbacks {
		fmt.Fprintf(&b, "fallback = %s\n", mustJSON(f))
	}
	if req.FallbackConfig != nil {
		fmt.Fprintf(&b, "fallback_config = %s\n", mustJSON(req.FallbackConfig))
	}
	for i, m := range req.Messages {
		hidden := redact != nil && redact(i)
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
// shown: those that used a sensitive value. A sensitive record that does not
// say which (one written by an earlier promptform) hides them all.
func RedactedMessages(rec *state.Step) func(i int) bool {
	if !rec.Sensitive {
		return func(int) bool { return false }
	}
	if len(rec.SensitiveMessages) == 0 {
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
	redact := func(int) bool { return false }
	if c.Rendered != nil {
		redact = func(i int) bool { return i < len(c.Rendered.Messages) && c.Rendered.Messages[i].Sensitive }
	}
	if RequestText(&old) == RequestText(c.Request) {
		return "" // the same request, asked again (-replace)
	}
	a, b := requestText(&old, RedactedMessages(c.Prior)), requestText(c.Request, redact)
	if a == b {
		return "  (the change is in a message that uses a sensitive value, so it is not shown)\n"
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
