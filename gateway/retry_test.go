package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := map[string]struct {
		maxRetries int
		handlers   []http.HandlerFunc
		wantErr    string // "" for success
		wantCalls  int
		wantWaits  []time.Duration
	}{
		"500 then success": {
			handlers:  []http.HandlerFunc{reply(500, `{"error":{"code":500,"message":"boom"}}`), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{500 * time.Millisecond},
		},
		"exponential and capped": {
			maxRetries: 8,
			handlers:   []http.HandlerFunc{reply(502, "bad gateway")},
			wantErr:    "gateway: 502 Bad Gateway", wantCalls: 9,
			wantWaits: []time.Duration{s / 2, s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s},
		},
		"retry-after seconds on 429": {
			handlers:  []http.HandlerFunc{reply(429, `{"code":429,"message":"slow down"}`, "Retry-After", "3"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{3 * s},
		},
		"retry-after zero on 429": {
			handlers:  []http.HandlerFunc{reply(429, `{}`, "Retry-After", "0"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{0},
		},
		"retry-after capped": {
			handlers:  []http.HandlerFunc{reply(503, ``, "Retry-After", "86400"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{5 * time.Minute},
		},
		"x-ratelimit-reset on 429": {
			handlers:  []http.HandlerFunc{reply(429, `{}`, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "6"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{6 * s},
		},
		"x-ratelimit-reset on 429 without remaining": {
			handlers:  []http.HandlerFunc{reply(429, `{}`, "X-Ratelimit-Reset", "2.5"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{2500 * time.Millisecond},
		},
		"x-ratelimit-reset capped": {
			handlers:  []http.HandlerFunc{reply(429, `{}`, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "86400"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{MaxServerWait},
		},
		"retry-after before x-ratelimit-reset": {
			handlers:  []http.HandlerFunc{reply(429, `{}`, "Retry-After", "0", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "60"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{0},
		},
		"no requests left on 500": {
			handlers:  []http.HandlerFunc{reply(500, ``, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "7"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{7 * s},
		},
		"requests left on 500": {
			handlers:  []http.HandlerFunc{reply(500, ``, "X-Ratelimit-Remaining", "3", "X-Ratelimit-Reset", "7"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{s / 2},
		},
		"retry-after ignored on 500": {
			handlers:  []http.HandlerFunc{reply(500, ``, "Retry-After", "9"), reply(200, okBody)},
			wantCalls: 2, wantWaits: []time.Duration{s / 2},
		},
		"408 and 409 retried": {
			handlers:  []http.HandlerFunc{reply(408, ``), reply(409, ``), reply(200, okBody)},
			wantCalls: 3, wantWaits: []time.Duration{s / 2, s},
		},
		"no retry on 400": {
			handlers: []http.HandlerFunc{reply(400, `{"code":400,"message":"invalid request body"}`)},
			wantErr:  "gateway: 400 Bad Request: invalid request body", wantCalls: 1,
		},
		"no retry on 401": {
			handlers: []http.HandlerFunc{reply(401, `{"error":"Authentication error"}`)},
			wantErr:  "gateway: 401 Unauthorized: Authentication error", wantCalls: 1,
		},
		"no retry on 403": {
			handlers: []http.HandlerFunc{reply(403, ``)},
			wantErr:  "gateway: 403 Forbidden", wantCalls: 1,
		},
		"no retry on 404": {
			handlers: []http.HandlerFunc{reply(404, ``)},
			wantErr:  "gateway: 404 Not Found", wantCalls: 1,
		},
		"retries disabled": {
			maxRetries: -1,
			handlers:   []http.HandlerFunc{reply(500, ``)},
			wantErr:    "gateway: 500 Internal Server Error", wantCalls: 1,
		},
		"default max retries": {
			handlers: []http.HandlerFunc{reply(500, ``)},
			wantErr:  "gateway: 500 Internal Server Error", wantCalls: 5,
			wantWaits: []time.Duration{s / 2, s, 2 * s, 4 * s},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, calls := sequence(tc.handlers...)
			c, w := testClient(t, Config{MaxRetries: tc.maxRetries}, h)
			resp, err := c.Chat(context.Background(), hello())
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %s", err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Fatalf("wrong error\ngot:  %v\nwant: %s…", err, tc.wantErr)
			case err == nil && resp.Attempts != tc.wantCalls:
				t.Errorf("wrong Attempts\ngot:  %d\nwant: %d", resp.Attempts, tc.wantCalls)
			}
			if got := calls(); got != tc.wantCalls {
				t.Errorf("wrong number of calls\ngot:  %d\nwant: %d", got, tc.wantCalls)
			}
			if got := w.get(); !reflect.DeepEqual(got, append([]time.Duration{}, tc.wantWaits...)) {
				t.Errorf("wrong waits\ngot:  %v\nwant: %v", got, tc.wantWaits)
			}
		})
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	h, _ := sequence(reply(429, ``, "Retry-After", now.Add(42*time.Second).Format(http.TimeFormat)), reply(200, okBody))
	c, w := testClient(t, Config{}, h)
	c.now = func() time.Time { return now }
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	if got, want := w.get(), []time.Duration{42 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("wrong waits\ngot:  %v\nwant: %v", got, want)
	}
}

func TestRetryUntilUnixReset(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		reset time.Time
		want  time.Duration
	}{
		"in 42s":      {now.Add(42 * time.Second), 42 * time.Second},
		"in a day":    {now.Add(24 * time.Hour), MaxServerWait},
		"in the past": {now.Add(-time.Minute), 500 * time.Millisecond}, // no wait asked: backoff
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, _ := sequence(reply(429, `{}`, "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", strconv.FormatInt(tc.reset.Unix(), 10)), reply(200, okBody))
			c, w := testClient(t, Config{}, h)
			c.now = func() time.Time { return now }
			if _, err := c.Chat(context.Background(), hello()); err != nil {
				t.Fatal(err)
			}
			if got, want := w.get(), []time.Duration{tc.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("wrong waits\ngot:  %v\nwant: %v", got, want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		"absent":      {"", 0, false},
		"seconds":     {"12", 12 * time.Second, true},
		"zero":        {"0", 0, true},
		"negative":    {"-3", 0, false},
		"garbage":     {"soon", 0, false},
		"date":        {now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		"past date":   {now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		"huge number": {"999999999999999999", 5 * time.Minute, true},
		"far date":    {now.Add(30 * time.Hour).Format(http.TimeFormat), MaxServerWait, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRetryAfter(tc.in, now)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("wrong result\ngot:  %s, %t\nwant: %s, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	h, calls := sequence(reply(503, ``, "Retry-After", "60"))
	c, _ := testClient(t, Config{}, h)
	c.sleep = sleepCtx // really wait
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("wrong error\ngot:  %v\nwant: context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %s", d)
	}
	if n := calls(); n != 1 {
		t.Errorf("wrong number of calls\ngot:  %d\nwant: 1", n)
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	t.Parallel()
	slow := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	h, calls := sequence(slow, reply(200, okBody))
	c, w := testClient(t, Config{Timeout: 50 * time.Millisecond}, h)
	resp, err := c.Chat(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Attempts != 2 || calls() != 2 || len(w.get()) != 1 {
		t.Errorf("wrong retries\ngot:  attempts %d, calls %d, waits %v\nwant: 2 attempts, 2 calls, 1 wait", resp.Attempts, calls(), w.get())
	}
}

func TestParentCancelNotRetried(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	h, calls := sequence(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
		cancel()
		<-r.Context().Done()
	})
	c, w := testClient(t, Config{}, h)
	_, err := c.Chat(ctx, hello())
	if !errors.Is(err, context.Canceled) || Classify(err) != ClassTerminal {
		t.Errorf("wrong error\ngot:  %v (%s)\nwant: context.Canceled (terminal)", err, Classify(err))
	}
	if calls() != 1 || len(w.get()) != 0 {
		t.Errorf("retried after cancel: %d calls, waits %v", calls(), w.get())
	}
}

func TestConnectionRefusedRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := New(Config{BaseURL: "http://" + addr + "/v1", APIKey: "secret-key-xyz", MaxRetries: 2})
	w := &waits{}
	c.sleep, c.jitter = w.sleep, func(d time.Duration) time.Duration { return d }
	_, err = c.Chat(context.Background(), hello())
	wantPrefix := "gateway: POST http://" + addr + "/v1/chat/completions: "
	if err == nil || !strings.HasPrefix(err.Error(), wantPrefix) || strings.Contains(err.Error(), "secret-key-xyz") {
		t.Fatalf("wrong error\ngot:  %v\nwant: %s…", err, wantPrefix)
	}
	if Classify(err) != ClassTransient || len(w.get()) != 2 {
		t.Errorf("wrong retry\ngot:  class %s, waits %v\nwant: transient, 2 waits", Classify(err), w.get())
	}
}

func TestBackoffJitterRange(t *testing.T) {
	t.Parallel()
	c := New(Config{})
	for n := range 10 {
		step := min(backoffBase<<n, backoffCap)
		for range 50 {
			if d, _ := c.backoff(n, errors.New("x")); d < step/2 || d > step {
				t.Fatalf("retry %d: wait %s outside [%s, %s]", n, d, step/2, step)
			}
		}
	}
}
