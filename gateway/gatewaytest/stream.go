package gatewaytest

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/promptform/promptform/gateway"
)

// Streaming constants. Chunks carry a fixed "created" so that transcripts
// are deterministic.
const (
	streamPieces  = 3
	streamCreated = 1767225600 // 2026-01-01T00:00:00Z
)

// streamChunks returns the data of the events that stream resp: for each
// choice a role chunk, the text in pieces, each tool call as a first
// fragment (id, type, name, empty arguments) and argument fragments, and a
// chunk with the finish reason; then a usage-only chunk with choices [].
// Non-final chunks carry "usage": null, as OpenAI does.
func streamChunks(resp *gateway.Response) []map[string]any {
	id := "chatcmpl-" + strings.TrimPrefix(resp.RequestID, "gatewaytest-")
	chunk := func(choices []any, usage any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": streamCreated,
			"model": resp.Model, "request_id": resp.RequestID, "choices": choices, "usage": usage}
	}
	choice := func(index int, delta map[string]any, finish any) []any {
		return []any{map[string]any{"index": index, "delta": delta, "finish_reason": finish, "logprobs": nil}}
	}
	var out []map[string]any
	for pos, ch := range resp.Choices {
		i := pos
		if ch.Index != nil {
			i = *ch.Index
		}
		out = append(out, chunk(choice(i, map[string]any{"role": "assistant", "content": ""}, nil), nil))
		for _, piece := range pieces(ch.Message.Content.String()) {
			out = append(out, chunk(choice(i, map[string]any{"content": piece}, nil), nil))
		}
		for j, call := range append(append([]gateway.ToolCall{}, ch.Message.ToolCalls...), ch.ToolCalls...) {
			first := map[string]any{"index": j, "id": call.ID, "type": call.Type,
				"function": map[string]any{"name": call.Function.Name, "arguments": ""}}
			out = append(out, chunk(choice(i, map[string]any{"content": nil, "tool_calls": []any{first}}, nil), nil))
			for _, piece := range pieces(call.Function.Arguments) {
				frag := map[string]any{"index": j, "function": map[string]any{"arguments": piece}}
				out = append(out, chunk(choice(i, map[string]any{"tool_calls": []any{frag}}, nil), nil))
			}
		}
		out = append(out, chunk(choice(i, map[string]any{}, ch.FinishReason), nil))
	}
	last := chunk([]any{}, resp.Usage)
	last["system_fingerprint"] = "fp_gatewaytest"
	return append(out, last)
}

// writeStream sends resp as a text/event-stream ending with "data: [DONE]".
func writeStream(w http.ResponseWriter, header http.Header, resp *gateway.Response) {
	for k, vs := range header {
		w.Header()[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	for _, c := range streamChunks(resp) {
		data, err := json.Marshal(c)
		if err != nil {
			data, _ = json.Marshal(map[string]any{"error": map[string]any{"code": 500, "message": "gatewaytest: " + err.Error()}})
		}
		if _, err := w.Write([]byte("data: " + string(data) + "\n\n")); err != nil {
			return
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
	_, _ = w.Write([]byte("data: [DONE]\n\n"))
}

// pieces cuts s into at most streamPieces pieces on rune boundaries; the
// empty string gives none.
func pieces(s string) []string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return nil
	}
	size := (n + streamPieces - 1) / streamPieces
	var out []string
	r := []rune(s)
	for len(r) > 0 {
		k := min(size, len(r))
		out = append(out, string(r[:k]))
		r = r[k:]
	}
	return out
}
