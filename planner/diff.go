package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/promptform/promptform/gateway"
)

// RequestText renders a request for people to read and diff: one line per
// setting, and each message's text on lines of its own, so that a changed
// line of a prompt is one changed line, not a changed escaped string.
func RequestText(req *gateway.Request) string {
	return requestText(req, nil)
}

// requestText is RequestText with the messages at the redact indices shown
// as (sensitive value).
func requestText(req *gateway.Request, redact map[int]bool) string {
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
		fmt.Fprintf(&b, "message %d (%s)%s:\n", i+1, m.Role, messageExtras(m))
		text := m.Content.String()
		switch {
		case redact[i]:
			text = "(sensitive value)"
		case m.Content.IsNull():
			text = "(no content)"
		}
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
	redact := map[int]bool{}
	if c.Rendered != nil {
		for i, m := range c.Rendered.Messages {
			redact[i] = m.Sensitive
		}
	}
	if RequestText(&old) == RequestText(c.Request) {
		return "" // the same request, asked again (-replace)
	}
	a, b := requestText(&old, redact), requestText(c.Request, redact)
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
