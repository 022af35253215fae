package gateway

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Chunk is one event of a streamed chat completion
// (object "chat.completion.chunk"). Every field is optional on the wire;
// Choices is empty on a usage-only chunk, and Usage is nil on chunks that
// carry none (some backends send it on every chunk).
type Chunk struct {
	ID        string        `json:"id,omitempty"`
	Object    string        `json:"object,omitempty"`
	Model     string        `json:"model,omitempty"`
	Created   int64         `json:"created,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Choices   []ChunkChoice `json:"choices"`
	Usage     *Usage        `json:"usage,omitempty"`
}

// ChunkChoice is one element of a chunk's choices[]. FinishReason is empty
// until the choice's last chunk.
type ChunkChoice struct {
	Index        int    `json:"index"`
	Delta        Delta  `json:"delta"`
	FinishReason string `json:"finish_reason,omitempty"`
}

// Delta is what a chunk adds to a choice. Content is empty when the wire
// said null. ToolCalls are fragments keyed by their Index: the first
// fragment of a call has its ID, Type and Function.Name, and each fragment
// adds to Function.Arguments.
type Delta struct {
	Role      string     `json:"role,omitempty"`
	Content   string     `json:"content,omitempty"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// decodeChunk decodes the data of one event. A payload with an "error"
// member, or a flat error body (code and message but no choices), is
// returned as an *APIError wrapped to say it came mid-stream.
func decodeChunk(data []byte, key string) (Chunk, error) {
	var probe struct {
		Error   json.RawMessage `json:"error"`
		Code    json.RawMessage `json:"code"`
		Message *string         `json:"message"`
		Choices json.RawMessage `json:"choices"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return Chunk{}, fmt.Errorf("gateway: stream: chunk is not valid JSON: %w (data %q)", err, excerpt(data, key))
	}
	hasError := len(probe.Error) > 0 && string(bytes.TrimSpace(probe.Error)) != "null"
	if hasError || (probe.Choices == nil && probe.Message != nil && probe.Code != nil) {
		return Chunk{}, fmt.Errorf("gateway: stream: %w", streamAPIError(data, key))
	}
	var c Chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return Chunk{}, fmt.Errorf("gateway: stream: bad chunk: %w (data %q)", err, excerpt(data, key))
	}
	return c, nil
}

// streamAPIError builds the error for an error payload inside a stream. The
// HTTP status was 200, so the status is the payload's code when that is an
// HTTP error status, else 500 (an upstream failure).
func streamAPIError(data []byte, key string) *APIError {
	resp := &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{}}
	e := newAPIError(resp, data, time.Time{}, key)
	if e.Code >= 400 && e.Code <= 599 {
		e.StatusCode = e.Code
	}
	return e
}

// accumulator joins chunks into the Response a non-streamed request would
// have got.
type accumulator struct {
	resp    Response
	choices []*accChoice // in order of first appearance
}

// accChoice is one choice being accumulated.
type accChoice struct {
	index      int
	role       string
	text       strings.Builder
	hasContent bool
	finish     string
	calls      []ToolCall
	callIndex  map[int]int // fragment index -> position in calls
}

// add folds one chunk in.
func (a *accumulator) add(c Chunk) {
	a.resp.ID = cmp.Or(a.resp.ID, c.ID)
	a.resp.Created = cmp.Or(a.resp.Created, c.Created)
	a.resp.Model = cmp.Or(c.Model, a.resp.Model) // the last one named
	a.resp.RequestID = cmp.Or(a.resp.RequestID, c.RequestID)
	if c.Usage != nil {
		u := *c.Usage
		a.resp.Usage = &u
	}
	for _, cc := range c.Choices {
		a.choice(cc.Index).add(cc)
	}
}

// choice returns the choice with index i, creating it when new.
func (a *accumulator) choice(i int) *accChoice {
	for _, ch := range a.choices {
		if ch.index == i {
			return ch
		}
	}
	ch := &accChoice{index: i, callIndex: map[int]int{}}
	a.choices = append(a.choices, ch)
	return ch
}

// add folds one chunk's delta for this choice in.
func (ch *accChoice) add(cc ChunkChoice) {
	ch.role = cmp.Or(ch.role, cc.Delta.Role)
	if cc.Delta.Content != "" {
		ch.text.WriteString(cc.Delta.Content)
		ch.hasContent = true
	}
	ch.finish = cmp.Or(cc.FinishReason, ch.finish)
	for _, frag := range cc.Delta.ToolCalls {
		ch.addCall(frag)
	}
}

// addCall joins a tool-call fragment to the call with the same index. A
// fragment without an index starts a new call when it has an id (or is the
// first), else it continues the last call.
func (ch *accChoice) addCall(frag ToolCall) {
	pos, ok := -1, false
	if frag.Index != nil {
		pos, ok = ch.callIndex[*frag.Index]
	} else if frag.ID == "" && len(ch.calls) > 0 {
		pos, ok = len(ch.calls)-1, true
	}
	if !ok {
		call := ToolCall{ID: frag.ID, Type: frag.Type, Function: FunctionCall{Name: frag.Function.Name}}
		ch.calls = append(ch.calls, call)
		pos = len(ch.calls) - 1
		if frag.Index != nil {
			ch.callIndex[*frag.Index] = pos
		}
	}
	call := &ch.calls[pos]
	call.ID = cmp.Or(call.ID, frag.ID)
	call.Type = cmp.Or(call.Type, frag.Type)
	call.Function.Name = cmp.Or(call.Function.Name, frag.Function.Name)
	call.Function.Arguments += frag.Function.Arguments
}

// response returns the accumulated response, choices sorted by index.
func (a *accumulator) response() *Response {
	r := a.resp
	if r.Usage != nil {
		u := *r.Usage
		r.Usage = &u
	}
	chs := slices.Clone(a.choices)
	slices.SortStableFunc(chs, func(x, y *accChoice) int { return x.index - y.index })
	r.Choices = make([]Choice, 0, len(chs))
	for _, ch := range chs {
		r.Choices = append(r.Choices, ch.choice())
	}
	return &r
}

// choice returns the accumulated choice.
func (ch *accChoice) choice() Choice {
	index := ch.index
	msg := Message{Role: cmp.Or(ch.role, "assistant")}
	if ch.hasContent {
		msg.Content = TextContent(ch.text.String())
	}
	if len(ch.calls) > 0 {
		msg.ToolCalls = slices.Clone(ch.calls)
	}
	return Choice{Index: &index, Message: msg, FinishReason: ch.finish}
}

// finished reports whether any choice has a finish reason.
func (a *accumulator) finished() bool {
	return slices.ContainsFunc(a.choices, func(ch *accChoice) bool { return ch.finish != "" })
}
