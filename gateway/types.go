package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Request is the body of POST {base}/chat/completions. Every optional field
// is omitted from the JSON when unset, because the gateway rejects parameters
// that a model does not list as supported; pointer fields distinguish "unset"
// from an explicit zero (temperature 0 is sent).
type Request struct {
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages,omitempty"`
	Prompt         string          `json:"prompt,omitempty"`
	MaxTokens      *int            `json:"max_tokens,omitempty"`
	Temperature    *float64        `json:"temperature,omitempty"`
	Stream         *bool           `json:"stream,omitempty"`
	Tools          []Tool          `json:"tools,omitempty"`
	ToolChoice     *ToolChoice     `json:"tool_choice,omitempty"`
	ResponseFormat *ResponseFormat `json:"response_format,omitempty"`
	Fallbacks      []Fallback      `json:"fallbacks,omitempty"`
	FallbackConfig *FallbackConfig `json:"fallback_config,omitempty"`

	// Extra holds other top-level request fields passed through as they are
	// (post_processing_steps, model_region, reasoning, ...). A key that names
	// one of the fields above is ignored in favour of the field.
	Extra map[string]json.RawMessage `json:"-"`
}

// MarshalJSON encodes the request with Extra merged in at the top level.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	return marshalWithExtra(plain(r), r.Extra)
}

// UnmarshalJSON decodes a request, keeping unknown top-level fields in Extra.
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	var p plain
	extra, err := unmarshalWithExtra(b, &p)
	if err != nil {
		return err
	}
	*r = Request(p)
	r.Extra = extra
	return nil
}

// Canonical returns the request's canonical JSON: object keys sorted at every
// level, no insignificant white space. Two requests that send the same thing
// have the same canonical form, whatever order their maps were built in.
func (r *Request) Canonical() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode request: %w", err)
	}
	// What json.Marshal writes is valid JSON: it need not be checked first.
	if out, ok := canonicalFast(b); ok {
		return out, nil
	}
	return canonicalSlow(b)
}

// LastUserText returns the request's prompt, or else the text of its last
// user message ("" when it has neither).
func (r *Request) LastUserText() string {
	if r.Prompt != "" {
		return r.Prompt
	}
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content.String()
		}
	}
	return ""
}

// CanonicalJSON re-encodes a JSON document with object keys sorted and
// numbers kept exactly as written.
func CanonicalJSON(b []byte) ([]byte, error) {
	if json.Valid(b) {
		if out, ok := canonicalFast(b); ok {
			return out, nil
		}
	}
	return canonicalSlow(b)
}

// canonicalSlow is CanonicalJSON by decoding into Go values and encoding
// them again: the definition that canonicalFast matches byte for byte.
func canonicalSlow(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("gateway: canonical json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("gateway: canonical json: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Message is one turn of a conversation.
type Message struct {
	Role         string          `json:"role"`
	Content      Content         `json:"content"`
	Name         string          `json:"name,omitempty"`
	ToolCallID   string          `json:"tool_call_id,omitempty"`
	ToolCalls    []ToolCall      `json:"tool_calls,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// Content is a message's content: a string, an array of text parts, or null
// (an assistant message that carries only tool calls). The zero value is null.
type Content struct {
	Text  *string
	Parts []ContentPart
}

// ContentPart is one element of an array content. Only text parts exist.
type ContentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// TextContent returns a string content.
func TextContent(s string) Content { return Content{Text: &s} }

// IsNull reports whether the content is JSON null.
func (c Content) IsNull() bool { return c.Text == nil && c.Parts == nil }

// String returns the content's text: the string, or the text parts joined.
func (c Content) String() string {
	if c.Text != nil {
		return *c.Text
	}
	var sb strings.Builder
	for _, p := range c.Parts {
		sb.WriteString(p.Text)
	}
	return sb.String()
}

// MarshalJSON encodes the content as a string, an array of parts, or null.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case c.Parts != nil:
		return json.Marshal(c.Parts)
	case c.Text != nil:
		return json.Marshal(*c.Text)
	default:
		return []byte("null"), nil
	}
}

// UnmarshalJSON accepts a string, an array of parts, or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	switch t := bytes.TrimSpace(b); {
	case len(t) == 0 || string(t) == "null":
		return nil
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return err
		}
		c.Text = &s
		return nil
	case t[0] == '[':
		parts := []ContentPart{}
		if err := json.Unmarshal(t, &parts); err != nil {
			return err
		}
		c.Parts = parts
		return nil
	default:
		return fmt.Errorf("gateway: message content must be a string, an array or null, not %s", t)
	}
}

// Tool is a function the model may call.
type Tool struct {
	Type     string       `json:"type"`
	Function ToolFunction `json:"function"`
}

// ToolFunction describes a tool's function and its JSON Schema parameters.
type ToolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ToolCall is a call the model asked for. Arguments is JSON text, not an
// object. Index is set only on streamed fragments.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall is the function part of a tool call.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// ToolChoice is "none", "auto", or one named function. Set Mode for the first
// two and Function for the last.
type ToolChoice struct {
	Mode     string
	Function string
}

// MarshalJSON encodes the choice as a string or a function object.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Function != "" {
		return json.Marshal(map[string]any{
			"type":     "function",
			"function": map[string]string{"name": t.Function},
		})
	}
	return json.Marshal(t.Mode)
}

// UnmarshalJSON accepts both forms.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	*t = ToolChoice{}
	if s := bytes.TrimSpace(b); len(s) > 0 && s[0] == '"' {
		return json.Unmarshal(s, &t.Mode)
	}
	var obj struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	t.Function = obj.Function.Name
	return nil
}

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *JSONSchema `json:"json_schema,omitempty"`
}

// JSONSchema is the json_schema member of a response format.
type JSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict,omitempty"`
}

// Fallback is one entry of fallbacks[]: a model and the request fields it
// overrides. Fields it leaves unset are inherited from the request.
type Fallback struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages,omitempty"`
	MaxTokens   *int      `json:"max_tokens,omitempty"`
	Temperature *float64  `json:"temperature,omitempty"`

	// Extra holds other overridden fields, passed through as they are.
	Extra map[string]json.RawMessage `json:"-"`
}

// MarshalJSON encodes the entry with Extra merged in.
func (f Fallback) MarshalJSON() ([]byte, error) {
	type plain Fallback
	return marshalWithExtra(plain(f), f.Extra)
}

// UnmarshalJSON decodes an entry, keeping unknown fields in Extra.
func (f *Fallback) UnmarshalJSON(b []byte) error {
	type plain Fallback
	var p plain
	extra, err := unmarshalWithExtra(b, &p)
	if err != nil {
		return err
	}
	*f = Fallback(p)
	f.Extra = extra
	return nil
}

// FallbackConfig is fallback_config.
type FallbackConfig struct {
	Retry *bool `json:"retry,omitempty"`
	Depth *int  `json:"depth,omitempty"`
}

// Response is the body of a successful chat completion. Every field is
// optional on the wire; absent ones decode to their zero values.
type Response struct {
	RequestID      string          `json:"request_id,omitempty"`
	ID             string          `json:"id,omitempty"`
	Object         string          `json:"object,omitempty"`
	Created        int64           `json:"created,omitempty"`
	Model          string          `json:"model,omitempty"`
	Choices        []Choice        `json:"choices"`
	Request        json.RawMessage `json:"request,omitempty"`
	Usage          *Usage          `json:"usage,omitempty"`
	HTTPStatusCode int             `json:"http_status_code,omitempty"`
	ResponseTime   int64           `json:"response_time,omitempty"` // nanoseconds
	LLMStatusCode  int             `json:"llm_status_code,omitempty"`

	// Attempts is how many HTTP attempts Client.Chat made to get this
	// response, retries included (1 when the first attempt succeeded). It is
	// never sent or decoded.
	Attempts int `json:"-"`
}

// Choice is one element of choices[]. Tool calls may come inside Message
// (current form) or beside it (the March 2026 form); ToolCalls holds the
// latter.
type Choice struct {
	Index        *int       `json:"index,omitempty"`
	Message      Message    `json:"message"`
	FinishReason string     `json:"finish_reason,omitempty"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"`
}

// Text returns the assistant text of the response: the content of every
// choice that has some, in order.
func (r *Response) Text() string {
	var sb strings.Builder
	for _, c := range r.Choices {
		sb.WriteString(c.Message.Content.String())
	}
	return sb.String()
}

// AllToolCalls collects the tool calls of every choice from both places they
// may appear, in order.
func (r *Response) AllToolCalls() []ToolCall {
	calls := []ToolCall{}
	for _, c := range r.Choices {
		calls = append(calls, c.Message.ToolCalls...)
		calls = append(calls, c.ToolCalls...)
	}
	return calls
}

// FinishReason returns the first non-empty finish reason, as the provider gave it.
func (r *Response) FinishReason() string {
	for _, c := range r.Choices {
		if c.FinishReason != "" {
			return c.FinishReason
		}
	}
	return ""
}

// marshalWithExtra encodes v (a struct) and adds the extra keys that v does
// not already set.
func marshalWithExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, taken := m[k]; !taken && !knownField(v, k) {
			m[k] = raw
		}
	}
	return json.Marshal(m)
}

// unmarshalWithExtra decodes b into the struct p points to and returns the
// top-level keys that the struct does not declare.
func unmarshalWithExtra[T any](b []byte, p *T) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(b, p); err != nil {
		return nil, err
	}
	return unknownFields(b, *p)
}

// unknownFields returns the top-level keys of b that the struct v does not
// declare, or nil when there are none.
func unknownFields(b []byte, v any) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var extra map[string]json.RawMessage
	for k, raw := range m {
		if knownField(v, k) {
			continue
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = raw
	}
	return extra, nil
}
