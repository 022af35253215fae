package gateway

import (
	"context"
	"errors"
	"unicode/utf8"
)

// offlinePieces is how many pieces the offline stream cuts text and tool
// arguments into.
const offlinePieces = 3

// ChatStream streams the answer that Chat gives to the same request with
// Stream unset: the text in a few pieces, each tool call's arguments in
// fragments, the finish reason on the last choice chunk, then a usage-only
// chunk with no choices. The accumulated Stream.Response equals Chat's. It
// fails only when Chat would.
func (o Offline) ChatStream(ctx context.Context, req *Request) (*Stream, error) {
	if req == nil {
		return nil, errors.New("gateway: nil request")
	}
	plain := *req
	plain.Stream = nil
	resp, err := o.Chat(ctx, &plain)
	if err != nil {
		return nil, err
	}
	return StreamOf(resp), nil
}

// StreamOf returns a stream that yields resp as a streaming server would
// send it, in a few pieces; its accumulated Response equals resp. Offline
// and test models stream their answers with it.
func StreamOf(resp *Response) *Stream {
	return &Stream{
		pending: splitResponse(resp),
		base:    Response{HTTPStatusCode: resp.HTTPStatusCode, LLMStatusCode: resp.LLMStatusCode, Attempts: resp.Attempts},
	}
}

// splitResponse cuts a response into the chunks a streaming server would
// send for it.
func splitResponse(r *Response) []Chunk {
	head := Chunk{ID: r.ID, Object: "chat.completion.chunk", Model: r.Model, Created: r.Created, RequestID: r.RequestID}
	chunk := func(choices ...ChunkChoice) Chunk {
		c := head
		c.Choices = choices
		return c
	}
	var out []Chunk
	for i, ch := range r.Choices {
		index := i
		if ch.Index != nil {
			index = *ch.Index
		}
		out = append(out, chunk(ChunkChoice{Index: index, Delta: Delta{Role: ch.Message.Role}}))
		for _, piece := range splitText(ch.Message.Content.String(), offlinePieces) {
			out = append(out, chunk(ChunkChoice{Index: index, Delta: Delta{Content: piece}}))
		}
		calls := append(append([]ToolCall{}, ch.Message.ToolCalls...), ch.ToolCalls...)
		for j, call := range calls {
			for k, args := range append([]string{""}, splitText(call.Function.Arguments, offlinePieces)...) {
				frag := ToolCall{Index: &j, Function: FunctionCall{Arguments: args}}
				if k == 0 {
					frag.ID, frag.Type, frag.Function.Name = call.ID, call.Type, call.Function.Name
				}
				out = append(out, chunk(ChunkChoice{Index: index, Delta: Delta{ToolCalls: []ToolCall{frag}}}))
			}
		}
		out = append(out, chunk(ChunkChoice{Index: index, FinishReason: ch.FinishReason}))
	}
	if r.Usage != nil {
		u := *r.Usage
		last := chunk()
		last.Choices, last.Usage = []ChunkChoice{}, &u
		out = append(out, last)
	}
	return out
}

// splitText cuts s into at most n pieces of about equal length, on rune
// boundaries. The empty string gives no pieces.
func splitText(s string, n int) []string {
	if s == "" {
		return nil
	}
	size := max(utf8.RuneCountInString(s)/n, 1)
	var out []string
	for s != "" {
		cut, runes := 0, 0
		for cut < len(s) && (runes < size || len(out) == n-1) {
			_, w := utf8.DecodeRuneInString(s[cut:])
			cut += w
			runes++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return out
}
