package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// transcriptWants reads the expectations of a recorded SSE transcript: its
// comment lines ": want KEY: VALUE". Comments are ignored by the SSE
// decoder, so the file is served exactly as it is.
func transcriptWants(t *testing.T, data []byte) map[string]string {
	t.Helper()
	wants := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), ": want ")
		if !ok {
			continue
		}
		key, value, _ := strings.Cut(rest, ":")
		wants[key] = strings.TrimPrefix(value, " ")
	}
	return wants
}

// sse returns a handler that answers with body as an event stream.
func sse(body string) http.HandlerFunc {
	return reply(200, body, "Content-Type", "text/event-stream; charset=utf-8")
}

// drain reads a stream to its end and returns the chunks it served.
func drain(s *Stream) []Chunk {
	var chunks []Chunk
	for s.Next() {
		chunks = append(chunks, s.Current())
	}
	return chunks
}

func TestStreamTranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/sse/*.txt")
	if err != nil || len(files) < 6 {
		t.Fatalf("transcripts missing: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := transcriptWants(t, data)
			c, _ := testClient(t, Config{MaxRetries: -1}, sse(string(data)))
			s, err := c.ChatStream(context.Background(), hello())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			drain(s)
			checkTranscript(t, want, s.Err(), s.Response())
		})
	}
}

// checkTranscript compares a stream's outcome with a transcript's wants.
func checkTranscript(t *testing.T, want map[string]string, err error, resp *Response) {
	t.Helper()
	gotErr := ""
	if err != nil {
		gotErr = err.Error()
	}
	if gotErr != want["error"] {
		t.Errorf("wrong error\ngot:  %s\nwant: %s", gotErr, want["error"])
	}
	if status, ok := want["status"]; ok {
		var apiErr *APIError
		if !errors.As(err, &apiErr) || fmt.Sprint(apiErr.StatusCode) != status {
			t.Errorf("wrong APIError\ngot:  %#v\nwant: status %s", apiErr, status)
		}
	}
	got := map[string]string{
		"text":       resp.Text(),
		"finish":     resp.FinishReason(),
		"model":      resp.Model,
		"usage":      "none",
		"request_id": resp.RequestID,
	}
	if u := resp.Usage; u != nil {
		got["usage"] = fmt.Sprintf("%d %d %d", u.InputTokens, u.OutputTokens, u.TotalTokens)
	}
	tools, _ := json.Marshal(resp.AllToolCalls())
	got["tools"] = string(tools)
	for _, key := range []string{"text", "finish", "model", "usage", "tools", "request_id"} {
		if w, ok := want[key]; ok && got[key] != w {
			t.Errorf("wrong %s\ngot:  %s\nwant: %s", key, got[key], w)
		}
	}
	if resp.HTTPStatusCode != 200 || resp.Attempts != 1 {
		t.Errorf("wrong metadata\ngot:  status %d, attempts %d\nwant: 200, 1", resp.HTTPStatusCode, resp.Attempts)
	}
}

func TestStreamDecoding(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body    string
		text    string
		chunks  int
		wantErr string
	}{
		"crlf line endings": {
			body: "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n",
			text: "ab", chunks: 2,
		},
		"dispatch at EOF without blank line": {
			body: `data: {"choices":[{"delta":{"content":"x"},"finish_reason":"stop"}]}`,
			text: "x", chunks: 1,
		},
		"empty data events skipped": {
			body: "data:\n\ndata: \n\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n",
			text: "x", chunks: 1,
		},
		"nothing after done is read": {
			body: "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\ndata: not json\n\n",
			text: "x", chunks: 1,
		},
		"empty body": {
			body: "", wantErr: "gateway: stream ended early",
		},
		"only comments": {
			body: ": ping\n\n: ping\n\n", wantErr: "gateway: stream ended early",
		},
		"bad chunk": {
			body: "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: {not json}\n\n",
			text: "x", chunks: 1,
			wantErr: `gateway: stream: chunk is not valid JSON: invalid character 'n' looking for beginning of object key string (data "{not json}")`,
		},
		"wrong type": {
			body:    "data: {\"choices\":[{\"index\":\"0\"}]}\n\n",
			wantErr: `gateway: stream: bad chunk: json: cannot unmarshal string into Go struct field ChunkChoice.choices.index of type int (data "{\"choices\":[{\"index\":\"0\"}]}")`,
		},
		"auth error shape C": {
			body:    "data: {\"error\":\"Authentication error, API token missing/invalid\",\"status\":\"error\"}\n\n",
			wantErr: "gateway: stream: gateway: 500 Internal Server Error: Authentication error, API token missing/invalid",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := testClient(t, Config{MaxRetries: -1}, sse(tc.body))
			s, err := c.ChatStream(context.Background(), hello())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks := drain(s)
			gotErr := ""
			if s.Err() != nil {
				gotErr = s.Err().Error()
			}
			if gotErr != tc.wantErr || len(chunks) != tc.chunks || s.Response().Text() != tc.text {
				t.Errorf("wrong stream\ngot:  %d chunks, %q, error %q\nwant: %d chunks, %q, error %q",
					len(chunks), s.Response().Text(), gotErr, tc.chunks, tc.text, tc.wantErr)
			}
		})
	}
}

func TestChatStreamRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var body []byte
	var header http.Header
	c, _ := testClient(t, Config{APIKey: "k1"}, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, _ = io.ReadAll(r.Body)
		header = r.Header.Clone()
		mu.Unlock()
		sse("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")(w, r)
	})
	req := hello()
	s, err := c.ChatStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	mu.Lock()
	defer mu.Unlock()
	if want := `{"model":"m","messages":[{"role":"user","content":"hello"}],"stream":true}`; string(body) != want {
		t.Errorf("wrong body\ngot:  %s\nwant: %s", body, want)
	}
	if req.Stream != nil {
		t.Errorf("ChatStream changed the caller's request")
	}
	if header.Get("Authorization") != "k1" || !strings.Contains(header.Get("Accept"), "text/event-stream") {
		t.Errorf("wrong headers\ngot:  %v", header)
	}
	if s.Err() != nil || s.Response().Text() != "hi" {
		t.Errorf("wrong stream\ngot:  %q, %v", s.Response().Text(), s.Err())
	}
}

func TestChatStreamRetriesBeforeStream(t *testing.T) {
	t.Parallel()
	h, calls := sequence(
		reply(503, `{"error":{"code":503,"message":"busy"}}`, "Content-Type", "application/json"),
		reply(429, `{"code":429,"message":"slow down"}`, "Retry-After-Ms", "5"),
		sse("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\n"),
	)
	c, w := testClient(t, Config{}, h)
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	resp := s.Response()
	if s.Err() != nil || resp.Text() != "ok" || resp.Attempts != 3 || calls() != 3 {
		t.Errorf("wrong retry\ngot:  %q, %v, attempts %d, calls %d\nwant: \"ok\", nil, 3, 3", resp.Text(), s.Err(), resp.Attempts, calls())
	}
	if got := w.get(); len(got) != 2 || got[1] != 5e6 {
		t.Errorf("wrong waits\ngot:  %v\nwant: [500ms 5ms]", got)
	}
}

func TestChatStreamNoRetryMidStream(t *testing.T) {
	t.Parallel()
	h, calls := sequence(sse("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: {\"error\":{\"code\":500,\"message\":\"boom\"}}\n\n"))
	c, _ := testClient(t, Config{MaxRetries: 3}, h)
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	var apiErr *APIError
	if !errors.As(s.Err(), &apiErr) || apiErr.StatusCode != 500 || calls() != 1 {
		t.Errorf("wrong outcome\ngot:  %v after %d calls\nwant: a 500 APIError after 1 call", s.Err(), calls())
	}
}

func TestChatStreamErrorStatus(t *testing.T) {
	t.Parallel()
	c, _ := testClient(t, Config{}, reply(400, `{"code":400,"message":"invalid request body","metadata":{"errors":["model m does not support stream"]}}`,
		"Content-Type", "application/json"))
	_, err := c.ChatStream(context.Background(), hello())
	want := "gateway: 400 Bad Request: invalid request body: model m does not support stream"
	if err == nil || err.Error() != want || Classify(err) != ClassTerminal {
		t.Errorf("wrong error\ngot:  %v\nwant: %s", err, want)
	}
}

func TestChatStreamIgnoredByServer(t *testing.T) {
	t.Parallel()
	body := `{"request_id":"r1","model":"m","choices":[{"message":{"role":"assistant","content":"whole",
		"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],
		"usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}`
	c, _ := testClient(t, Config{}, reply(200, body, "Content-Type", "application/json"))
	want, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks := drain(s)
	if len(chunks) != 1 || len(chunks[0].Choices) != 1 || chunks[0].Choices[0].Delta.Content != "whole" || s.Err() != nil {
		t.Fatalf("wrong chunks\ngot:  %+v, %v", chunks, s.Err())
	}
	if got := s.Response(); !reflect.DeepEqual(got, want) {
		t.Errorf("wrong response\ngot:  %+v\nwant: %+v", got, want)
	}
}

func TestChatStreamBodyLimit(t *testing.T) {
	t.Parallel()
	piece := "data: {\"choices\":[{\"delta\":{\"content\":\"" + strings.Repeat("a", 100) + "\"}}]}\n\n"
	c, _ := testClient(t, Config{MaxRetries: -1}, sse(strings.Repeat(piece, 50)))
	c.maxBody = 1000
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	drain(s)
	if s.Err() == nil || !strings.HasSuffix(s.Err().Error(), "response body exceeds 1000 bytes") || Classify(s.Err()) != ClassTerminal {
		t.Errorf("wrong error\ngot:  %v\nwant: … response body exceeds 1000 bytes", s.Err())
	}
	if n := len(s.Response().Text()); n > 1000 {
		t.Errorf("read %d bytes of text past the limit", n)
	}
}

func TestStreamClose(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n", 10)
	c, _ := testClient(t, Config{}, sse(body))
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Next() {
		t.Fatalf("no first chunk: %v", s.Err())
	}
	if first, second := s.Close(), s.Close(); first != nil || second != nil {
		t.Errorf("Close returned an error")
	}
	if s.Next() || !errors.Is(s.Err(), ErrStreamClosed) || s.Response().Text() != "x" {
		t.Errorf("wrong state after Close\ngot:  %v, %q", s.Err(), s.Response().Text())
	}
}

func TestStreamTruncatedIsTransient(t *testing.T) {
	t.Parallel()
	if Classify(ErrStreamEnded) != ClassTransient {
		t.Errorf("wrong class of ErrStreamEnded: %s", Classify(ErrStreamEnded))
	}
}

func TestOfflineStreamMatchesChat(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},"n":{"type":"integer"}}}`)
	tests := map[string]*Request{
		"text":   {Model: "m", Prompt: "Write a haiku about dependency graphs, with a title. ünïcödé"},
		"empty":  {Model: "m", Messages: []Message{{Role: "system", Content: TextContent("s")}}},
		"schema": {Model: "m", Prompt: "p", ResponseFormat: &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: "s", Schema: schema}}},
		"tool": {Model: "m", Prompt: "p", Tools: []Tool{{Type: "function", Function: ToolFunction{Name: "f", Parameters: schema}}},
			ToolChoice: &ToolChoice{Function: "f"}},
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, err := Offline{}.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			streamed := *req
			on := true
			streamed.Stream = &on
			s, err := Offline{}.ChatStream(context.Background(), &streamed)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks := drain(s)
			if s.Err() != nil || len(chunks) < 3 {
				t.Fatalf("wrong stream: %d chunks, %v", len(chunks), s.Err())
			}
			if got := s.Response(); !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("streamed response differs\ngot:  %s\nwant: %s", g, w)
			}
			again, _ := Offline{}.Chat(context.Background(), &streamed)
			if again.Text() != want.Text() {
				t.Errorf("stream field changed the offline answer\ngot:  %s\nwant: %s", again.Text(), want.Text())
			}
		})
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want []string
	}{
		"empty":   {"", nil},
		"short":   {"ab", []string{"a", "b"}},
		"even":    {"abcdef", []string{"ab", "cd", "ef"}},
		"rest":    {"abcdefgh", []string{"ab", "cd", "efgh"}},
		"unicode": {"ééé", []string{"é", "é", "é"}},
	}
	for name, tc := range tests {
		if got := splitText(tc.in, 3); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: wrong pieces\ngot:  %q\nwant: %q", name, got, tc.want)
		}
	}
}
