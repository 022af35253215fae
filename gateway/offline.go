package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// offlineExcerpt is how many characters of the last user message the
// offline answer quotes.
const offlineExcerpt = 60

// Offline is a model that answers without any network. The same request
// always gets the same answer, and different requests almost always get
// different ones:
//
//   - a ToolChoice that names one of the request's Tools gets one call to it
//     (id "call_offline_1", arguments a minimal instance of its parameters
//     schema, finish_reason "tool_calls");
//   - else a json_schema ResponseFormat gets a minimal instance of the
//     schema (see MinimalInstance) as its content;
//   - else the content is "[offline MODEL] <start of the last user message>
//     #<8 hex digits of the request hash>".
//
// Usage counts words, not tokens. The Stream field does not change the
// answer: ChatStream serves the same one in chunks. The zero value is ready
// to use and safe for concurrent use.
type Offline struct{}

// Chat answers req. It fails only when ctx has ended, req is nil, or a
// schema in req cannot be read.
func (Offline) Chat(ctx context.Context, req *Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, errors.New("gateway: nil request")
	}
	plain := *req
	plain.Stream = nil // streamed or not, the same answer
	canonical, err := plain.Canonical()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(canonical)
	hash := hex.EncodeToString(sum[:])

	choice, answer, err := offlineChoice(req, hash)
	if err != nil {
		return nil, fmt.Errorf("gateway: offline: %w", err)
	}
	in, out := requestWords(req), len(strings.Fields(answer))
	return &Response{
		RequestID: "offline-" + hash[:16],
		Model:     req.Model,
		Choices:   []Choice{choice},
		Usage: &Usage{
			InputTokens: in, OutputTokens: out, TotalTokens: in + out,
			PromptTokens: in, CompletionTokens: out,
		},
		HTTPStatusCode: 200,
		LLMStatusCode:  200,
		Attempts:       1,
	}, nil
}

// Models returns no catalog: the offline model accepts any model id.
func (Offline) Models(ctx context.Context) ([]Model, error) { return nil, nil }

// offlineChoice builds the single choice and returns the answer's text.
func offlineChoice(req *Request, hash string) (Choice, string, error) {
	index := 0
	if tool := forcedTool(req); tool != nil {
		args, err := MinimalInstance(tool.Function.Parameters)
		if err != nil {
			return Choice{}, "", fmt.Errorf("tool %q parameters: %w", tool.Function.Name, err)
		}
		call := ToolCall{ID: "call_offline_1", Type: "function",
			Function: FunctionCall{Name: tool.Function.Name, Arguments: string(args)}}
		msg := Message{Role: "assistant", ToolCalls: []ToolCall{call}}
		return Choice{Index: &index, Message: msg, FinishReason: "tool_calls"}, string(args), nil
	}
	text := fmt.Sprintf("[offline %s] #%s", req.Model, hash[:8])
	if quote := oneLine(req.LastUserText(), offlineExcerpt); quote != "" {
		text = fmt.Sprintf("[offline %s] %s #%s", req.Model, quote, hash[:8])
	}
	if rf := req.ResponseFormat; rf != nil && rf.JSONSchema != nil {
		inst, err := MinimalInstance(rf.JSONSchema.Schema)
		if err != nil {
			return Choice{}, "", fmt.Errorf("response_format %q: %w", rf.JSONSchema.Name, err)
		}
		text = string(inst)
	}
	msg := Message{Role: "assistant", Content: TextContent(text)}
	return Choice{Index: &index, Message: msg, FinishReason: "stop"}, text, nil
}

// forcedTool returns the tool that ToolChoice names, if it is among Tools.
func forcedTool(req *Request) *Tool {
	if req.ToolChoice == nil || req.ToolChoice.Function == "" {
		return nil
	}
	for i := range req.Tools {
		if req.Tools[i].Function.Name == req.ToolChoice.Function {
			return &req.Tools[i]
		}
	}
	return nil
}

// requestWords counts the words of every message and of the prompt.
func requestWords(req *Request) int {
	n := len(strings.Fields(req.Prompt))
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content.String()))
	}
	return n
}

// oneLine collapses white space and cuts s to at most n characters, marking
// a cut with "…".
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n]), " ") + "…"
}
