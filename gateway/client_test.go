package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestChatRequestHeaders(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg      Config
		wantAuth []string // nil: header absent
	}{
		"raw by default": {Config{APIKey: "k1"}, []string{"k1"}},
		"raw explicit":   {Config{APIKey: "k1", Auth: "raw"}, []string{"k1"}},
		"bearer":         {Config{APIKey: "k1", Auth: "bearer"}, []string{"Bearer k1"}},
		"no key":         {Config{Auth: "bearer"}, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var got *http.Request
			var body []byte
			c, _ := testClient(t, tc.cfg, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				got = r
				body, _ = io.ReadAll(r.Body)
				_, _ = w.Write([]byte(okBody))
			})
			resp, err := c.Chat(context.Background(), hello())
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if auth := got.Header.Values("Authorization"); !equalStrings(auth, tc.wantAuth) {
				t.Errorf("wrong Authorization\ngot:  %q\nwant: %q", auth, tc.wantAuth)
			}
			if got.Method != http.MethodPost || got.URL.Path != "/v1/chat/completions" {
				t.Errorf("wrong request line\ngot:  %s %s\nwant: POST /v1/chat/completions", got.Method, got.URL.Path)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("wrong Content-Type\ngot:  %s\nwant: application/json", ct)
			}
			if want := `{"model":"m","messages":[{"role":"user","content":"hello"}]}`; string(body) != want {
				t.Errorf("wrong body\ngot:  %s\nwant: %s", body, want)
			}
			if resp.Text() != "hi" || resp.Attempts != 1 || resp.HTTPStatusCode != 200 {
				t.Errorf("wrong response\ngot:  text %q attempts %d status %d\nwant: text \"hi\" attempts 1 status 200",
					resp.Text(), resp.Attempts, resp.HTTPStatusCode)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && (a == nil) == (b == nil)
}

func TestChatRefusals(t *testing.T) {
	t.Parallel()
	stream := true
	tests := map[string]struct {
		cfg  Config
		req  *Request
		want string
	}{
		"nil request":  {Config{}, nil, "gateway: nil request"},
		"stream":       {Config{}, &Request{Model: "m", Prompt: "p", Stream: &stream}, "gateway: Chat does not stream; unset Request.Stream or use ChatStream"},
		"unknown auth": {Config{APIKey: "secret-k", Auth: "basic"}, hello(), `gateway: unknown auth scheme "basic" (want "raw" or "bearer")`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := testClient(t, tc.cfg, reply(200, okBody))
			_, err := c.Chat(context.Background(), tc.req)
			if err == nil || err.Error() != tc.want {
				t.Errorf("wrong error\ngot:  %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestChatMalformedJSON(t *testing.T) {
	t.Parallel()
	c, _ := testClient(t, Config{}, reply(200, `{"choices":[{"message":`+strings.Repeat("x", 400)))
	_, err := c.Chat(context.Background(), hello())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"gateway: 200 OK: response body is not valid JSON", `body "{\"choices\":[{\"message\":xxx`} {
		if !strings.Contains(msg, want) {
			t.Errorf("wrong error\ngot:  %s\nwant it to contain: %s", msg, want)
		}
	}
	if len(msg) > 400 {
		t.Errorf("error too long: %d bytes", len(msg))
	}
	if got := Classify(err); got != ClassTerminal {
		t.Errorf("wrong class\ngot:  %s\nwant: terminal", got)
	}
}

func TestChatBodyLimit(t *testing.T) {
	t.Parallel()
	big := `{"choices":[{"message":{"content":"` + strings.Repeat("a", 2000) + `"}}]}`
	c, _ := testClient(t, Config{}, reply(200, big))
	c.maxBody = 1000
	_, err := c.Chat(context.Background(), hello())
	if err == nil || !strings.Contains(err.Error(), "response body exceeds 1000 bytes") {
		t.Errorf("wrong error\ngot:  %v\nwant: … response body exceeds 1000 bytes", err)
	}

	c.maxBody = int64(len(big))
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Errorf("body of exactly the limit refused: %s", err)
	}
}

func TestModels(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var gotPath, gotAuth string
	body := `{"data":[{"id":"qwen3.5-4b-32k-fast","name":"Qwen","context_length":32768,
		"supported_parameters":["max_tokens","stream"],"top_provider":{"max_completion_tokens":8192},
		"pricing":{"global":{"prompt":"0"}},"providers":[{"id":"a","name":"A"}]},
		{"id":"claude-sonnet-4-6","supported_parameters":["tools","response_format"]}]}`
	c, _ := testClient(t, Config{APIKey: "k"}, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotPath, gotAuth = r.Method+" "+r.URL.Path, r.Header.Get("Authorization")
		mu.Unlock()
		_, _ = w.Write([]byte(body))
	})
	models, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if gotPath != "GET /v1/models" || gotAuth != "" {
		t.Errorf("wrong request\ngot:  %s (auth %q)\nwant: GET /v1/models (no auth: the catalog never gets the key)", gotPath, gotAuth)
	}
	mu.Unlock()
	if len(models) != 2 || models[0].ContextLength != 32768 || models[0].TopProvider.MaxCompletionTokens != 8192 {
		got, _ := json.Marshal(models)
		t.Fatalf("wrong models\ngot:  %s", got)
	}
	tests := map[string]struct {
		model int
		param string
		want  bool
	}{
		"qwen streams":         {0, "stream", true},
		"qwen has no tools":    {0, "tools", false},
		"claude has tools":     {1, "tools", true},
		"claude has no stream": {1, "stream", false},
	}
	for name, tc := range tests {
		if got := models[tc.model].Supports(tc.param); got != tc.want {
			t.Errorf("%s: wrong Supports(%q)\ngot:  %t\nwant: %t", name, tc.param, got, tc.want)
		}
	}
}

func TestModelsEmpty(t *testing.T) {
	t.Parallel()
	c, _ := testClient(t, Config{}, reply(200, `{}`))
	models, err := c.Models(context.Background())
	if err != nil || models == nil || len(models) != 0 {
		t.Errorf("wrong result\ngot:  %#v, %v\nwant: []Model{}, nil", models, err)
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c := New(Config{BaseURL: "https://example.test/v1///"})
	if c.BaseURL() != "https://example.test/v1" {
		t.Errorf("wrong base URL\ngot:  %s\nwant: https://example.test/v1", c.BaseURL())
	}
	if c.cfg.Timeout != DefaultTimeout || c.cfg.MaxRetries != DefaultMaxRetries || c.cfg.Auth != AuthRaw {
		t.Errorf("wrong defaults\ngot:  %+v", c.cfg)
	}
	if got := New(Config{}).BaseURL(); got != DefaultBaseURL {
		t.Errorf("wrong default base URL\ngot:  %s\nwant: %s", got, DefaultBaseURL)
	}
}
