package gateway

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		header []string
		status int
		want   RateLimit
		wantOK bool
	}{
		"none on 200": {status: 200},
		"429 without headers": {
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Status: 429},
		},
		"live headers": {
			header: []string{"X-Ratelimit-Limit", "30", "X-Ratelimit-Remaining", "29", "X-Ratelimit-Reset", "60",
				"X-Ratelimit-Model", "qwen3.5-4b-32k-fast", "X-Ratelimit-Service", "llmgw"},
			status: 200, wantOK: true,
			want: RateLimit{Model: "qwen3.5-4b-32k-fast", Limit: 30, Remaining: 29, Reset: time.Minute, Status: 200},
		},
		"float reset and retry-after": {
			header: []string{"X-Ratelimit-Reset", "1.5", "Retry-After", "2"},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: 1500 * time.Millisecond, RetryAfter: 2 * time.Second, Status: 429, retryAfterSet: true},
		},
		"unix reset, retry-after-ms wins": {
			header: []string{"X-Ratelimit-Reset", fmt.Sprint(now.Add(30 * time.Second).Unix()), "Retry-After", "2", "Retry-After-Ms", "250"},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: 30 * time.Second, RetryAfter: 250 * time.Millisecond, Status: 429, retryAfterSet: true},
		},
		"http date reset, garbage counts": {
			header: []string{"X-Ratelimit-Reset", now.Add(10 * time.Second).Format(http.TimeFormat), "X-Ratelimit-Limit", "many",
				"X-Ratelimit-Remaining", "-4"},
			status: 200, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: 10 * time.Second, Status: 200},
		},
		"day-long reset capped": {
			header: []string{"X-Ratelimit-Reset", "86400", "X-Ratelimit-Remaining", "0"},
			status: 200, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: 0, Reset: MaxServerWait, Status: 200},
		},
		"decades-long reset capped": {
			header: []string{"X-Ratelimit-Reset", "999999999"},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: MaxServerWait, Status: 429},
		},
		"far unix reset capped": {
			header: []string{"X-Ratelimit-Reset", fmt.Sprint(now.Add(48 * time.Hour).Unix())},
			status: 200, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: MaxServerWait, Status: 200},
		},
		"far http date reset and retry-after capped": {
			header: []string{"X-Ratelimit-Reset", now.Add(72 * time.Hour).Format(http.TimeFormat),
				"Retry-After", now.Add(24 * time.Hour).Format(http.TimeFormat)},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Reset: MaxServerWait, RetryAfter: MaxServerWait, Status: 429, retryAfterSet: true},
		},
		"huge retry-after-ms capped": {
			header: []string{"Retry-After-Ms", "1e12"},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, RetryAfter: MaxServerWait, Status: 429, retryAfterSet: true},
		},
		"retry-after zero": {
			header: []string{"Retry-After", "0"},
			status: 429, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Status: 429, retryAfterSet: true},
		},
		"past and bad resets": {
			header: []string{"X-Ratelimit-Reset", "NaN"},
			status: 200, wantOK: true,
			want: RateLimit{Model: "req-model", Limit: -1, Remaining: -1, Status: 200},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for i := 0; i+1 < len(tc.header); i += 2 {
				h.Set(tc.header[i], tc.header[i+1])
			}
			got, ok := parseRateLimit(h, tc.status, "req-model", now)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("wrong rate limit\ngot:  %+v, %t\nwant: %+v, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestServerWait(t *testing.T) {
	t.Parallel()
	s := time.Second
	tests := map[string]struct {
		rl      RateLimit
		want    time.Duration
		wantWhy string // "" when no wait is asked for
	}{
		"429 retry-after":        {RateLimit{Status: 429, Remaining: 0, Reset: 60 * s, RetryAfter: 3 * s}, 3 * s, "429 Too Many Requests, Retry-After"},
		"429 retry-after zero":   {RateLimit{Status: 429, Remaining: 0, Reset: 60 * s, retryAfterSet: true}, 0, "429 Too Many Requests, Retry-After"},
		"503 retry-after":        {RateLimit{Status: 503, Remaining: -1, RetryAfter: 9 * s}, 9 * s, "503 Service Unavailable, Retry-After"},
		"429 reset":              {RateLimit{Status: 429, Remaining: 0, Reset: 6 * s}, 6 * s, "429 Too Many Requests, until x-ratelimit-reset"},
		"429 reset, remaining ?": {RateLimit{Status: 429, Remaining: -1, Reset: 6 * s}, 6 * s, "429 Too Many Requests, until x-ratelimit-reset"},
		"200 none left":          {RateLimit{Status: 200, Remaining: 0, Reset: 20 * s}, 20 * s, "no requests left until x-ratelimit-reset"},
		"500 none left":          {RateLimit{Status: 500, Remaining: 0, Reset: 20 * s, RetryAfter: 9 * s}, 20 * s, "no requests left until x-ratelimit-reset"},
		"200 some left":          {RateLimit{Status: 200, Remaining: 4, Reset: 20 * s}, 0, ""},
		"200 retry-after":        {RateLimit{Status: 200, Remaining: -1, RetryAfter: 9 * s}, 0, ""},
		"429 bare":               {RateLimit{Status: 429, Remaining: -1}, 0, ""},
		"429 reset passed":       {RateLimit{Status: 429, Remaining: 0}, 0, ""},
	}
	for name, tc := range tests {
		d, why, ok := tc.rl.ServerWait()
		if d != tc.want || why != tc.wantWhy || ok != (tc.wantWhy != "") {
			t.Errorf("%s: got %s %q %t; want %s %q", name, d, why, ok, tc.want, tc.wantWhy)
		}
	}
}

func TestOnRateLimitBeforeRetryWait(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []string
	note := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, s)
	}
	h, _ := sequence(
		reply(429, `{"code":429,"message":"too many requests for this action"}`, "Retry-After", "1",
			"X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "60"),
		reply(200, okBody, "X-Ratelimit-Limit", "2", "X-Ratelimit-Remaining", "1", "X-Ratelimit-Model", "m-served"),
		reply(200, okBody),
	)
	c, _ := testClient(t, Config{OnRateLimit: func(rl RateLimit) {
		note(fmt.Sprintf("rl %s %d %d/%d %s %s", rl.Model, rl.Status, rl.Remaining, rl.Limit, rl.Reset, rl.RetryAfter))
	}}, h)
	c.sleep = func(ctx context.Context, d time.Duration) error {
		note("wait " + d.String())
		return nil
	}
	for range 2 {
		if _, err := c.Chat(context.Background(), hello()); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"rl m 429 0/2 1m0s 1s", "wait 1s", "rl m-served 200 1/2 0s 0s"}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(events, want) {
		t.Errorf("wrong events\ngot:  %q\nwant: %q", events, want)
	}
}

func TestOnRateLimitStreamAndModels(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []RateLimit
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Ratelimit-Remaining", "7")
		if r.Method == http.MethodGet {
			reply(200, `{"data":[]}`)(w, r)
			return
		}
		sse("data: {\"choices\":[{\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n")(w, r)
	}
	c, _ := testClient(t, Config{OnRateLimit: func(rl RateLimit) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, rl)
	}}, h)
	s, err := c.ChatStream(context.Background(), hello())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := c.Models(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []RateLimit{
		{Model: "m", Limit: -1, Remaining: 7, Status: 200},
		{Model: "", Limit: -1, Remaining: 7, Status: 200},
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("wrong rate limits\ngot:  %+v\nwant: %+v", got, want)
	}
}
