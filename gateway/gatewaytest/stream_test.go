package gatewaytest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
)

func TestStreamMatchesChat(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},"tags":{"type":"array","minItems":2,"items":{"type":"string"}}}}`)
	tests := map[string]*gateway.Request{
		"text": ask("gpt-5-mini", "Tell me something long enough to be split into pieces"),
		"structured": {Model: "claude-sonnet-4-6", Prompt: "p", ResponseFormat: &gateway.ResponseFormat{Type: "json_schema",
			JSONSchema: &gateway.JSONSchema{Name: "s", Schema: schema}}},
		"tool call": {Model: "gpt-5-mini", Prompt: "p", ToolChoice: &gateway.ToolChoice{Function: "f"},
			Tools: []gateway.Tool{{Type: "function", Function: gateway.ToolFunction{Name: "f", Parameters: schema}}}},
		"server-side fallback": func() *gateway.Request {
			r := ask(gatewaytest.ModelFail500, "rescued")
			r.Fallbacks = []gateway.Fallback{{Model: "gemini-2.5-flash"}}
			return r
		}(),
	}
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, -1)
			want, err := c.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.ChatStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var chunks []gateway.Chunk
			for s.Next() {
				chunks = append(chunks, s.Current())
			}
			if s.Err() != nil || len(chunks) < 4 {
				t.Fatalf("wrong stream: %d chunks, %v", len(chunks), s.Err())
			}
			if last := chunks[len(chunks)-1]; len(last.Choices) != 0 || last.Usage == nil {
				t.Errorf("last chunk is not usage-only: %+v", last)
			}
			got := s.Response()
			type view struct {
				Text, Finish, Model string
				Tools               []gateway.ToolCall
				Usage               *gateway.Usage
			}
			g := view{got.Text(), got.FinishReason(), got.Model, got.AllToolCalls(), got.Usage}
			w := view{want.Text(), want.FinishReason(), want.Model, want.AllToolCalls(), want.Usage}
			if !reflect.DeepEqual(g, w) {
				gj, _ := json.Marshal(g)
				wj, _ := json.Marshal(w)
				t.Errorf("streamed answer differs\ngot:  %s\nwant: %s", gj, wj)
			}
		})
	}
}

func TestStreamMagicErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		model  string
		status int
	}{
		"fail-400": {gatewaytest.ModelFail400, 400},
		"fail-401": {gatewaytest.ModelFail401, 401},
		"fail-429": {gatewaytest.ModelFail429, 429},
		"fail-500": {gatewaytest.ModelFail500, 500},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, -1)
			_, err := c.ChatStream(context.Background(), ask(tc.model, "hi"))
			var apiErr *gateway.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Errorf("wrong error\ngot:  %v\nwant: status %d", err, tc.status)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := gatewaytest.NewServer()
	t.Cleanup(s.Close)
	s.SetRateLimit(2, 300*time.Millisecond)
	var mu sync.Mutex
	var limits []gateway.RateLimit
	c := gateway.New(gateway.Config{BaseURL: s.URL(), MaxRetries: 3, OnRateLimit: func(rl gateway.RateLimit) {
		mu.Lock()
		defer mu.Unlock()
		limits = append(limits, rl)
	}})
	start := time.Now()
	var attempts []int
	for _, model := range []string{"m", "m", "m", "other"} {
		resp, err := c.Chat(context.Background(), ask(model, "hi"))
		if err != nil {
			t.Fatal(err)
		}
		attempts = append(attempts, resp.Attempts)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("rate-limited requests took %s; retry-after-ms not honoured?", d)
	}
	if want := []int{1, 1, 2, 1}; !reflect.DeepEqual(attempts, want) {
		t.Errorf("wrong attempts\ngot:  %v\nwant: %v", attempts, want)
	}
	var statuses []int
	for _, r := range s.Requests() {
		statuses = append(statuses, r.Status)
	}
	if want := []int{200, 200, 429, 200, 200}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("wrong recorded statuses\ngot:  %v\nwant: %v", statuses, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(limits) != 5 {
		t.Fatalf("wrong number of OnRateLimit calls\ngot:  %d (%+v)\nwant: 5", len(limits), limits)
	}
	if l := limits[0]; l.Model != "m" || l.Limit != 2 || l.Remaining != 1 || l.Reset != time.Second || l.Status != 200 {
		t.Errorf("wrong first rate limit\ngot:  %+v", l)
	}
	if l := limits[2]; l.Status != 429 || l.Remaining != 0 || l.RetryAfter <= 0 || l.RetryAfter > 300*time.Millisecond {
		t.Errorf("wrong 429 rate limit\ngot:  %+v", l)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	s, c := newServer(t, -1)
	s.SetRateLimit(1, time.Hour)
	if _, err := c.Chat(context.Background(), ask("m", "a")); err != nil {
		t.Fatal(err)
	}
	_, err := c.Chat(context.Background(), ask("m", "b"))
	var apiErr *gateway.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Message != "too many requests for this action" {
		t.Fatalf("wrong error\ngot:  %v\nwant: 429", err)
	}
	h := apiErr.Header
	if h.Get("Retry-After") != "3600" || h.Get("X-Ratelimit-Remaining") != "0" || h.Get("X-Ratelimit-Model") != "m" ||
		h.Get("X-Ratelimit-Reset") != "3600" || apiErr.RetryAfter != 5*time.Minute { // the client caps waits
		t.Errorf("wrong 429 headers\ngot:  %v", h)
	}
	s.SetRateLimit(0, 0)
	if _, err := c.Chat(context.Background(), ask("m", "c")); err != nil {
		t.Errorf("limit not turned off: %v", err)
	}
	if got := s.Requests()[1].Status; got != http.StatusTooManyRequests {
		t.Errorf("wrong recorded status\ngot:  %d\nwant: 429", got)
	}
}

func TestDefaultCatalog(t *testing.T) {
	t.Parallel()
	byID := map[string]gateway.Model{}
	for _, m := range gatewaytest.DefaultModels() {
		if m.ContextLength == 0 || len(m.SupportedParameters) == 0 {
			t.Errorf("%s: no context_length or supported_parameters", m.ID)
		}
		byID[m.ID] = m
	}
	qwen, oss, haiku := byID["qwen3.5-4b-32k-fast"], byID["gpt-oss-20b"], byID["claude-haiku-4-5-20251001"]
	if qwen.ContextLength != 32768 || qwen.Supports("tools") || qwen.Supports("response_format") || !qwen.Supports("stream") {
		t.Errorf("wrong qwen entry: %+v", qwen)
	}
	if oss.Supports("stream") || !oss.Supports("tools") {
		t.Errorf("wrong gpt-oss entry: %+v", oss)
	}
	for _, p := range []string{"tools", "tool_choice", "response_format", "stream", "max_tokens", "temperature"} {
		if !haiku.Supports(p) {
			t.Errorf("claude-haiku lacks %s", p)
		}
	}
	if !strings.HasPrefix(gatewaytest.DefaultModels()[0].ID, "claude") {
		t.Errorf("catalog order changed")
	}
}
