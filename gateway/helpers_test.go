package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// waits records the backoff waits a client asked for, instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration{}, w.d...)
}

// testClient starts a loopback server running h and returns a client for it
// whose waits are recorded, not slept, and whose jitter is the full step.
func testClient(t *testing.T, cfg Config, h http.HandlerFunc) (*Client, *waits) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1/"
	c := New(cfg)
	w := &waits{}
	c.sleep = w.sleep
	c.jitter = func(d time.Duration) time.Duration { return d }
	return c, w
}

// reply returns a handler that answers with status, headers and body.
func reply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// sequence returns a handler that uses the handlers in turn, repeating the
// last one, and a function that reports how many calls it got.
func sequence(hs ...http.HandlerFunc) (http.HandlerFunc, func() int) {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			h := hs[min(n, len(hs)-1)]
			n++
			mu.Unlock()
			h(w, r)
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

const okBody = `{"request_id":"r1","model":"m","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`

func hello() *Request {
	return &Request{Model: "m", Messages: []Message{{Role: "user", Content: TextContent("hello")}}}
}
