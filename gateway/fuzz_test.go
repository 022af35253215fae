package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzKey is an API key that must never show in an error.
const fuzzKey = "sk-fuzz-SECRET"

// addTranscripts seeds f with every recorded SSE transcript, and returns
// them.
func addTranscripts(f *testing.F) [][]byte {
	files, err := filepath.Glob("testdata/sse/*.txt")
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		out = append(out, data)
	}
	return out
}

// sseStream returns a stream reading body directly, as ChatStream would
// after the status and Content-Type checks.
func sseStream(body []byte, limit int64) *Stream {
	return &Stream{
		sse:     newSSEReader(&limitedReader{r: bytes.NewReader(body), limit: limit}),
		body:    io.NopCloser(nil),
		wrapErr: func(err error) error { return err },
		key:     fuzzKey,
		base:    Response{HTTPStatusCode: 200, Attempts: 1},
	}
}

func FuzzSSE(f *testing.F) {
	addTranscripts(f)
	for _, seed := range []string{
		"", "\n\n", "data: [DONE]\n\n", "data:\n\n", ":\n", "data", "data: {}\r\n\r\n",
		"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"x\"}}]}}]}\n\n",
		"data: {\"error\":{\"code\":\"429\"}}\n\n", "data: null\n\n", "data: [1]\n\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := sseStream(body, 1<<20)
		defer s.Close()
		n := 0
		for s.Next() {
			if n++; n > len(body) {
				t.Fatalf("more chunks (%d) than bytes (%d)", n, len(body))
			}
			_ = s.Current()
		}
		if err := s.Err(); err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), fuzzKey) {
				t.Fatalf("bad error %q", err)
			}
			_ = Classify(err)
		}
		resp := s.Response()
		_, _, _ = resp.Text(), resp.AllToolCalls(), resp.FinishReason()
		if _, err := json.Marshal(resp); err != nil {
			t.Fatalf("accumulated response does not encode: %v", err)
		}
		if s.Next() {
			t.Fatal("Next true after the end")
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, data := range addTranscripts(f) {
		for _, line := range bytes.Split(data, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
				f.Add(d)
			}
		}
	}
	for _, seed := range []string{
		okBody, `{}`, `null`, `[]`, `{"choices":null}`, `{"choices":[{"message":{"content":[{"type":"text","text":"a"}]}}]}`,
		`{"choices":[{"message":{"content":null,"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]},"tool_calls":[{"id":"d"}]}]}`,
		`{"usage":{"prompt_tokens":3,"completion_tokens":4},"request":{"model":"m"},"response_time":275510459}`,
		`{"error":{"code":400,"message":"Invalid request","metadata":{}}}`,
		`{"code":400,"message":"invalid request body","request_id":"2a9a","metadata":{"errors":["one of messages or prompt required",{"x":1}]}}`,
		`{"error":"Authentication error, API token missing/invalid","status":"error","request_id":"sk-fuzz-SECRET"}`,
		`{"code":"429","message":"sk-fuzz-SECRET"}`, "<html>bad gateway</html>",
		`{"choices":[{"message":{"content":"a"}}],"usage":{"prompt_tokens":"12","completion_tokens":"x","total_tokens":1e400}}`,
		`{"choices":[],"error":{"code":503,"message":"sk-fuzz-SECRET overloaded"}}`,
	} {
		f.Add([]byte(seed))
	}
	c := New(Config{APIKey: fuzzKey})
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		a := &answer{status: 200, header: http.Header{}, body: data}
		if r, err := c.decodeResponse(a, "requested"); err == nil {
			_, _, _ = r.Text(), r.AllToolCalls(), r.FinishReason()
			if r.Model == "" {
				t.Fatal("decoded response names no model")
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("decoded response does not encode: %v", err)
			}
			_ = chunkOf(r)
			_ = splitResponse(r)
		} else if strings.Contains(err.Error(), fuzzKey) {
			t.Fatalf("key in error %q", err)
		}
		for _, status := range []int{400, 401, 429, 503} {
			hresp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {"1"}}}
			e := newAPIError(hresp, data, now, fuzzKey)
			if msg := e.Error(); msg == "" || strings.Contains(msg, fuzzKey) {
				t.Fatalf("bad error %q", msg)
			}
			if e.Class() == ClassNone {
				t.Fatalf("status %d has no class", status)
			}
		}
		if _, err := decodeChunk(data, fuzzKey); err != nil && strings.Contains(err.Error(), fuzzKey) {
			t.Fatalf("key in chunk error %q", err)
		}
	})
}
