package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for a logger used by several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogAttempts(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := sequence(
		reply(429, `{"code":429,"message":"quota-MESSAGE"}`, "Retry-After", "0", "X-Ratelimit-Remaining", "0",
			"X-Ratelimit-Reset", "86400", "X-Request-Id", "req-429"),
		reply(200, `{"request_id":"req-ok","choices":[{"message":{"content":"answer-TEXT"}}]}`))
	c, _ := testClient(t, Config{APIKey: "log-SECRET", Logger: logger}, h)
	req := &Request{Model: "m", Prompt: "prompt-SENSITIVE"}
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	for _, want := range []string{
		`level=DEBUG msg="gateway request" method=POST url=` + c.BaseURL() + "/chat/completions attempt=1 model=m",
		"level=WARN msg=\"gateway response\" method=POST url=" + c.BaseURL() + "/chat/completions attempt=1 model=m status=429 duration=",
		"request_id=req-429 x_ratelimit_remaining=0 x_ratelimit_reset=86400 retry_after=0 class=transient",
		`level=WARN msg="gateway retry" method=POST url=` + c.BaseURL() + "/chat/completions attempt=1 model=m wait=0s server_wait=true",
		"level=INFO msg=\"gateway response\" method=POST url=" + c.BaseURL() + "/chat/completions attempt=2 model=m status=200 duration=",
		"request_id=req-ok",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q\nlog:\n%s", want, log)
		}
	}
	for _, secret := range []string{"SECRET", "SENSITIVE", "MESSAGE", "TEXT", "Authorization"} {
		if strings.Contains(log, secret) {
			t.Errorf("log holds %s:\n%s", secret, log)
		}
	}
}

func TestLogTransportFailureAndLevels(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c, _ := testClient(t, Config{MaxRetries: -1, Logger: logger}, func(w http.ResponseWriter, r *http.Request) {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		_ = conn.Close()
	})
	if _, err := c.Chat(context.Background(), hello()); err == nil {
		t.Fatal("no error")
	}
	log := buf.String()
	if !strings.Contains(log, `level=WARN msg="gateway request failed" method=POST`) || !strings.Contains(log, "class=transient error=") {
		t.Errorf("wrong log\ngot:\n%s", log)
	}
	if strings.Contains(log, "DEBUG") || strings.Contains(log, "INFO") {
		t.Errorf("log below its level:\n%s", log)
	}
}
