package gateway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// Stream errors.
var (
	// ErrStreamClosed is what Err reports when Close was called before the
	// stream ended.
	ErrStreamClosed = errors.New("gateway: stream closed")

	// ErrStreamEnded is what Err reports when the body ended without
	// "data: [DONE]" and without any finish_reason: the answer is cut off.
	// Classify counts it as transient, like a connection reset.
	ErrStreamEnded = errors.New("gateway: stream ended early")
)

// Stream is a streamed chat completion, read as a small iterator:
//
//	s, err := client.ChatStream(ctx, req)
//	if err != nil { … }
//	defer s.Close()
//	for s.Next() {
//		fmt.Print(s.Current().Choices[0].Delta.Content) // check the length first
//	}
//	if err := s.Err(); err != nil { … }
//	resp := s.Response()
//
// A Stream is not safe for concurrent use; to abandon it from another
// goroutine, cancel the context given to ChatStream.
type Stream struct {
	sse     *sseReader // nil for a stream of pending chunks only
	pending []Chunk    // served before anything is read
	body    io.Closer  // nil when nothing is open
	cancel  context.CancelFunc
	wrapErr func(error) error // turns a read error into this package's error
	key     string            // redacted from errors

	cur   Chunk
	acc   accumulator
	base  Response  // HTTPStatusCode, Attempts, and the fallback Model and RequestID
	final *Response // a non-streamed answer served as one chunk
	err   error
	done  bool
}

// Next advances to the next chunk and reports whether there is one. It
// returns false at the end of the stream, after an error (see Err), and
// after Close. Chunks without choices (usage only) are served too.
func (s *Stream) Next() bool {
	for !s.done {
		if len(s.pending) > 0 {
			s.cur, s.pending = s.pending[0], s.pending[1:]
			s.acc.add(s.cur)
			return true
		}
		if s.sse == nil {
			s.finish(nil)
			return false
		}
		if s.readEvent() {
			return true
		}
	}
	return false
}

// readEvent reads one event. It reports whether it made a chunk current;
// when it did not, either the stream is done or the event was empty.
func (s *Stream) readEvent() bool {
	data, err := s.sse.next()
	switch {
	case err == io.EOF:
		if s.acc.finished() {
			s.finish(nil)
		} else {
			s.finish(ErrStreamEnded)
		}
		return false
	case err != nil:
		s.finish(s.wrapErr(err))
		return false
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return false
	case string(data) == "[DONE]":
		s.finish(nil)
		return false
	}
	c, err := decodeChunk(data, s.key)
	if err != nil {
		s.finish(err)
		return false
	}
	s.cur = c
	s.acc.add(c)
	return true
}

// Current returns the chunk that the last successful Next advanced to.
func (s *Stream) Current() Chunk { return s.cur }

// Err returns the error that ended the stream, nil when it ended normally
// or has not ended. A payload {"error":…} inside the stream is an *APIError
// (wrapped); a cut-off stream is ErrStreamEnded; Close before the end gives
// ErrStreamClosed.
func (s *Stream) Err() error { return s.err }

// Close releases the connection. It may be called more than once and at
// any time; it always returns nil. Reading a stream to its end releases the
// connection too, but deferring Close is still the rule.
func (s *Stream) Close() error {
	if !s.done {
		s.finish(ErrStreamClosed)
	}
	return nil
}

// finish ends the stream with err and releases what it holds.
func (s *Stream) finish(err error) {
	s.done, s.err, s.pending = true, err, nil
	if s.body != nil {
		_ = s.body.Close()
		s.body = nil
	}
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// Response returns the response accumulated from the chunks read so far; it
// is complete once Next has returned false and Err is nil. The text of each
// choice is joined, tool-call fragments are joined by index, and ID, Model,
// RequestID, Usage (the last one sent) and FinishReason are kept, so Text,
// AllToolCalls, FinishReason, Model and Usage equal those of the same answer
// not streamed. As for Chat, Model falls back to the requested model and
// RequestID to the X-Request-Id header, then to the chunks' id. Attempts is
// how many HTTP attempts ChatStream made. Each call returns a new Response;
// it is never nil.
func (s *Stream) Response() *Response {
	if s.final != nil {
		r := *s.final
		return &r
	}
	r := s.acc.response()
	r.HTTPStatusCode, r.LLMStatusCode, r.Attempts = s.base.HTTPStatusCode, s.base.LLMStatusCode, s.base.Attempts
	r.Model = cmp.Or(r.Model, s.base.Model)
	r.RequestID = cmp.Or(r.RequestID, s.base.RequestID, r.ID)
	return r
}

// ChatStream sends req with "stream": true (on a copy; req is not changed)
// to POST {BaseURL}/chat/completions and returns the stream of chunks. Auth,
// headers, the per-attempt Timeout (which here bounds the whole stream) and
// retries are as for Chat; only failures before the stream starts are
// retried (connection errors, attempt timeouts, 408/409/429/5xx). A non-2xx
// answer, a redirect included, is an *APIError. A 200 answer that is not
// text/event-stream is decoded as Chat decodes it (a server that ignores
// "stream"; an error body is an *APIError) and served as a stream of one
// chunk. The total body is bounded like Chat's.
//
// As for Chat, ctx bounds the whole call, reading the stream included, and
// a stop attached by WithRetryStop ends only the waits between attempts
// (the call then returns the stop's error), never an attempt already sent
// or a stream being read.
func (c *Client) ChatStream(ctx context.Context, req *Request) (*Stream, error) {
	if req == nil {
		return nil, errors.New("gateway: nil request")
	}
	streamed := *req
	on := true
	streamed.Stream = &on
	body, err := json.Marshal(&streamed)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode request: %w", err)
	}
	x := exchange{method: http.MethodPost, path: chatPath, model: req.Model, body: body, withKey: true}
	var s *Stream
	attempts, err := c.retry(ctx, x, func(ctx context.Context, x exchange) error {
		var err error
		s, err = c.openStream(ctx, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.base.Attempts = attempts
	if s.final != nil {
		s.final.Attempts = attempts
	}
	return s, nil
}

// openStream makes one attempt at opening a stream.
func (c *Client) openStream(ctx context.Context, x exchange) (*Stream, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	start := c.now()
	hresp, err := c.send(ctx, actx, x, "text/event-stream, application/json")
	if err != nil {
		cancel()
		return nil, err
	}
	url := c.baseURL + x.path
	wrap := func(err error) error {
		if errors.Is(err, errBodyTooBig) {
			return fmt.Errorf("gateway: %s %s: response body exceeds %d bytes", x.method, RedactURL(url), c.maxBody)
		}
		return c.transportError(ctx, actx, x.method, url, fmt.Errorf("read response body: %w", err))
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 || !isEventStream(hresp.Header) {
		defer cancel()
		defer hresp.Body.Close()
		s, data, err := c.plainStream(hresp, x.model, wrap)
		c.logResponse(x, hresp, c.now().Sub(start), data, err)
		return s, err
	}
	c.logResponse(x, hresp, c.now().Sub(start), nil, nil)
	return &Stream{
		sse:     newSSEReader(&limitedReader{r: hresp.Body, limit: c.maxBody}),
		body:    hresp.Body,
		cancel:  cancel,
		wrapErr: wrap,
		key:     c.cfg.APIKey,
		base: Response{HTTPStatusCode: hresp.StatusCode, Model: x.model,
			RequestID: hresp.Header.Get("X-Request-Id")},
	}, nil
}

// plainStream handles an answer that is not an event stream: an error, or
// a whole Response served as one chunk. It returns the body it read too.
func (c *Client) plainStream(hresp *http.Response, model string, wrap func(error) error) (*Stream, []byte, error) {
	data, tooBig, err := readLimited(hresp.Body, c.maxBody)
	if err != nil {
		return nil, nil, wrap(err)
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return nil, data, newAPIError(hresp, data, c.now(), c.cfg.APIKey)
	}
	if tooBig {
		return nil, data, wrap(errBodyTooBig)
	}
	r, err := c.decodeResponse(&answer{status: hresp.StatusCode, header: hresp.Header, body: data}, model)
	if err != nil {
		return nil, data, err
	}
	return &Stream{final: r, pending: []Chunk{chunkOf(r)}}, data, nil
}

// isEventStream reports whether the Content-Type is text/event-stream.
func isEventStream(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "text/event-stream"
}

// chunkOf returns a whole response as one chunk.
func chunkOf(r *Response) Chunk {
	c := Chunk{ID: r.ID, Object: "chat.completion.chunk", Model: r.Model, Created: r.Created,
		RequestID: r.RequestID, Usage: r.Usage, Choices: []ChunkChoice{}}
	for i, ch := range r.Choices {
		index := i
		if ch.Index != nil {
			index = *ch.Index
		}
		var calls []ToolCall
		for j, call := range append(append([]ToolCall{}, ch.Message.ToolCalls...), ch.ToolCalls...) {
			call.Index = &j
			calls = append(calls, call)
		}
		c.Choices = append(c.Choices, ChunkChoice{Index: index, FinishReason: ch.FinishReason,
			Delta: Delta{Role: ch.Message.Role, Content: ch.Message.Content.String(), ToolCalls: calls}})
	}
	return c
}
