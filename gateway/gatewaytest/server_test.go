package gatewaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
)

// newServer starts a fake gateway closed at the end of the test, and a
// client for it that does not retry unless retries says so.
func newServer(t *testing.T, retries int) (*gatewaytest.Server, *gateway.Client) {
	t.Helper()
	s := gatewaytest.NewServer()
	t.Cleanup(s.Close)
	return s, gateway.New(gateway.Config{BaseURL: s.URL(), APIKey: "test-key", MaxRetries: retries})
}

func ask(model, text string) *gateway.Request {
	return &gateway.Request{Model: model, Messages: []gateway.Message{
		{Role: "system", Content: gateway.TextContent("be brief")},
		{Role: "user", Content: gateway.TextContent(text)},
	}}
}

func TestDefaultAnswerAndRecording(t *testing.T) {
	t.Parallel()
	s, c := newServer(t, -1)
	resp, err := c.Chat(context.Background(), ask("gpt-5-mini", "hello there"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != "echo: hello there" || resp.Model != "gpt-5-mini" || !strings.HasPrefix(resp.RequestID, "gatewaytest-") {
		t.Errorf("wrong answer\ngot:  %q from %q (%s)\nwant: \"echo: hello there\" from \"gpt-5-mini\"", resp.Text(), resp.Model, resp.RequestID)
	}
	if want := `{"model":"gpt-5-mini"}`; string(resp.Request) != want {
		t.Errorf("wrong request echo\ngot:  %s\nwant: %s", resp.Request, want)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("wrong number of recorded requests\ngot:  %d\nwant: 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "test-key" ||
		r.Request == nil || r.Request.Model != "gpt-5-mini" || len(r.Body) == 0 || r.At.IsZero() {
		t.Errorf("wrong recorded request\ngot:  %+v", r)
	}
	want := `{"messages":[{"content":"be brief","role":"system"},{"content":"hello there","role":"user"}],"model":"gpt-5-mini"}` + "\n"
	if got := string(s.RequestsJSON()); got != want {
		t.Errorf("wrong RequestsJSON\ngot:  %s\nwant: %s", got, want)
	}
}

func TestMagicModels(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		model  string
		want   string // error text prefix
		status int
		class  gateway.Class
	}{
		"fail-500":       {gatewaytest.ModelFail500, "gateway: 500 Internal Server Error: internal server error (gatewaytest fail-500)", 500, gateway.ClassTransient},
		"fail-400":       {gatewaytest.ModelFail400, "gateway: 400 Bad Request: invalid request body: model fail-400 is not supported (request id", 400, gateway.ClassTerminal},
		"fail-401":       {gatewaytest.ModelFail401, "gateway: 401 Unauthorized: Authentication error, API token missing/invalid", 401, gateway.ClassAuth},
		"fail-429":       {gatewaytest.ModelFail429, "gateway: 429 Too Many Requests: too many requests for this action", 429, gateway.ClassTransient},
		"malformed-json": {gatewaytest.ModelMalformedJSON, "gateway: 200 OK: response body is not valid JSON", 0, gateway.ClassTerminal},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, -1)
			_, err := c.Chat(context.Background(), ask(tc.model, "hi"))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("wrong error\ngot:  %v\nwant: %s…", err, tc.want)
			}
			var apiErr *gateway.APIError
			if errors.As(err, &apiErr) != (tc.status != 0) || (apiErr != nil && apiErr.StatusCode != tc.status) {
				t.Errorf("wrong APIError\ngot:  %#v\nwant: status %d", apiErr, tc.status)
			}
			if got := gateway.Classify(err); got != tc.class {
				t.Errorf("wrong class\ngot:  %s\nwant: %s", got, tc.class)
			}
		})
	}
}

func TestFail429ThenSuccess(t *testing.T) {
	t.Parallel()
	s, retrying := newServer(t, 2)
	resp, err := retrying.Chat(context.Background(), ask(gatewaytest.ModelFail429, "once"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || resp.Text() != "echo: once" || len(s.Requests()) != 2 {
		t.Errorf("wrong retry\ngot:  %d attempts, %q, %d requests\nwant: 2 attempts, \"echo: once\", 2 requests", resp.Attempts, resp.Text(), len(s.Requests()))
	}

	// Without client retries, the pattern alternates per distinct request.
	noRetry := gateway.New(gateway.Config{BaseURL: s.URL(), MaxRetries: -1})
	var got []string
	for _, text := range []string{"a", "a", "b", "a"} {
		_, err := noRetry.Chat(context.Background(), ask(gatewaytest.ModelFail429, text))
		got = append(got, fmt.Sprintf("%s:%s", text, gateway.Classify(err)))
	}
	want := "a:transient a:none b:transient a:transient"
	if strings.Join(got, " ") != want {
		t.Errorf("wrong alternation\ngot:  %s\nwant: %s", strings.Join(got, " "), want)
	}

	var apiErr *gateway.APIError
	_, err = noRetry.Chat(context.Background(), ask(gatewaytest.ModelFail429, "c"))
	if !errors.As(err, &apiErr) || !apiErr.HasRetryAfter() || apiErr.RetryAfter != 0 || apiErr.Header.Get("X-Ratelimit-Limit") != "30" {
		t.Errorf("wrong 429\ngot:  %#v", apiErr)
	}
}

func TestFail500WithFallbacks(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, -1)
	req := ask(gatewaytest.ModelFail500, "hi")
	req.Fallbacks = []gateway.Fallback{
		{Model: gatewaytest.ModelFail500},
		{Model: "claude-sonnet-4-6", Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("fallback text")}}},
		{Model: "gpt-5-mini"},
	}
	resp, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "claude-sonnet-4-6" || resp.Text() != "echo: fallback text" {
		t.Errorf("wrong fallback answer\ngot:  %q from %q\nwant: \"echo: fallback text\" from \"claude-sonnet-4-6\"", resp.Text(), resp.Model)
	}
}

func TestRequireKey(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg   gateway.Config
		class gateway.Class
	}{
		"right key":     {gateway.Config{APIKey: "test-key"}, gateway.ClassNone},
		"no key":        {gateway.Config{}, gateway.ClassAuth},
		"wrong key":     {gateway.Config{APIKey: "nope"}, gateway.ClassAuth},
		"bearer prefix": {gateway.Config{APIKey: "test-key", Auth: "bearer"}, gateway.ClassAuth},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := newServer(t, -1)
			s.RequireKey("test-key")
			tc.cfg.BaseURL, tc.cfg.MaxRetries = s.URL(), -1
			_, err := gateway.New(tc.cfg).Chat(context.Background(), ask("m", "hi"))
			if got := gateway.Classify(err); got != tc.class {
				t.Errorf("wrong class\ngot:  %s (%v)\nwant: %s", got, err, tc.class)
			}
			if _, err := gateway.New(tc.cfg).Models(context.Background()); err != nil {
				t.Errorf("models needs no key, got %v", err)
			}
		})
	}
}

func TestScriptedReplies(t *testing.T) {
	t.Parallel()
	s, c := newServer(t, -1)
	s.Handle(func(req *gateway.Request) gatewaytest.Reply {
		if req.Prompt == "raw" {
			return gatewaytest.Reply{Status: 502, Raw: "<html>bad gateway</html>", Header: http.Header{"Content-Type": {"text/html"}}}
		}
		return gatewaytest.Reply{Text: "handled " + req.Prompt}
	})
	s.Enqueue(gatewaytest.Reply{Text: "first"}, gatewaytest.ErrorReply(422, "unprocessable", "x is wrong"))

	var got []string
	for _, prompt := range []string{"a", "b", "c", "raw"} {
		resp, err := c.Chat(context.Background(), &gateway.Request{Model: "m", Prompt: prompt})
		if err != nil {
			got = append(got, err.Error())
			continue
		}
		got = append(got, resp.Text())
	}
	want := []string{
		"first",
		"gateway: 422 Unprocessable Entity: unprocessable: x is wrong (request id gatewaytest-error)",
		"handled c",
		`gateway: 502 Bad Gateway: body "<html>bad gateway</html>"`,
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("reply %d wrong\ngot:  %s\nwant: %s", i, got[i], want[i])
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		req  *gateway.Request
		want string
	}{
		"no model":  {&gateway.Request{Prompt: "p"}, "model is required"},
		"no prompt": {&gateway.Request{Model: "m"}, "one of messages or prompt required"},
		"bad schema": {&gateway.Request{Model: "m", Prompt: "p", ResponseFormat: &gateway.ResponseFormat{
			Type: "json_schema", JSONSchema: &gateway.JSONSchema{Name: "x", Schema: json.RawMessage(`false`)}}}, "false schema has no instance"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, -1)
			_, err := c.Chat(context.Background(), tc.req)
			var apiErr *gateway.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || len(apiErr.Details) != 1 || !strings.Contains(apiErr.Details[0], tc.want) {
				t.Errorf("wrong error\ngot:  %v\nwant: 400 with detail %q", err, tc.want)
			}
		})
	}
}

func TestStructuredAndToolDefaults(t *testing.T) {
	t.Parallel()
	_, c := newServer(t, -1)
	schema := json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`)
	resp, err := c.Chat(context.Background(), &gateway.Request{Model: "m", Prompt: "p",
		ResponseFormat: &gateway.ResponseFormat{Type: "json_schema", JSONSchema: &gateway.JSONSchema{Name: "s", Schema: schema}}})
	if err != nil || resp.Text() != `{"title":""}` {
		t.Errorf("wrong structured answer\ngot:  %v %v\nwant: {\"title\":\"\"}", resp, err)
	}
	resp, err = c.Chat(context.Background(), &gateway.Request{Model: "m", Prompt: "p",
		Tools:      []gateway.Tool{{Type: "function", Function: gateway.ToolFunction{Name: "f", Parameters: schema}}},
		ToolChoice: &gateway.ToolChoice{Function: "f"}})
	if err != nil || len(resp.AllToolCalls()) != 1 || resp.AllToolCalls()[0].Function.Arguments != `{"title":""}` {
		t.Errorf("wrong tool answer\ngot:  %+v %v", resp, err)
	}
}

func TestModelsCatalog(t *testing.T) {
	t.Parallel()
	s, c := newServer(t, -1)
	models, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]gateway.Model{}
	for _, m := range models {
		byID[m.ID] = m
	}
	if !byID["claude-haiku-4-5-20251001"].Supports("response_format") || byID["qwen3.5-4b-32k-fast"].Supports("tools") {
		t.Errorf("wrong default catalog\ngot:  %+v", models)
	}
	if _, ok := byID[gatewaytest.ModelFail500]; !ok {
		t.Errorf("default catalog lacks the magic ids")
	}
	s.SetModels(gateway.Model{ID: "only", SupportedParameters: []string{"stream"}})
	models, err = c.Models(context.Background())
	if err != nil || len(models) != 1 || models[0].ID != "only" {
		t.Errorf("wrong catalog after SetModels\ngot:  %+v %v", models, err)
	}
}

func TestUnknownPath(t *testing.T) {
	t.Parallel()
	s, _ := newServer(t, -1)
	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/v1") + "/v2/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || len(s.Requests()) != 1 {
		t.Errorf("wrong answer\ngot:  %d, %d requests\nwant: 404, 1 request", resp.StatusCode, len(s.Requests()))
	}
}

func TestDelayAndClose(t *testing.T) {
	t.Parallel()
	s := gatewaytest.NewServer()
	s.Enqueue(gatewaytest.Reply{Delay: time.Hour})
	c := gateway.New(gateway.Config{BaseURL: s.URL(), MaxRetries: -1, Timeout: 50 * time.Millisecond})
	_, err := c.Chat(context.Background(), ask("m", "slow"))
	if !errors.Is(err, context.DeadlineExceeded) || gateway.Classify(err) != gateway.ClassTransient {
		t.Errorf("wrong error\ngot:  %v\nwant: attempt timeout", err)
	}
	s.Enqueue(gatewaytest.Reply{Delay: time.Hour})
	go func() {
		_, _ = gateway.New(gateway.Config{BaseURL: s.URL(), MaxRetries: -1}).Chat(context.Background(), ask("m", "x"))
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Close()
	s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %s", d)
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s, c := newServer(t, -1)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if _, err := c.Chat(context.Background(), ask("m", fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
			_ = s.Requests()
			s.Enqueue()
		})
	}
	wg.Wait()
	if n := len(strings.Split(strings.TrimSpace(string(s.RequestsJSON())), "\n")); n != 20 {
		t.Errorf("wrong number of recorded bodies\ngot:  %d\nwant: 20", n)
	}
}
