package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// A stop that ends while the client waits to retry (here during the
// server-requested wait, which really sleeps: five minutes, capped) ends
// the call at once with stop's error, and no second request is sent.
func TestRetryStopDuringWait(t *testing.T) {
	t.Parallel()
	for name, header := range map[string][]string{
		"Retry-After":       {"Retry-After", "99999"},
		"x-ratelimit-reset": {"X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "86400"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, calls := sequence(reply(429, `{}`, header...), reply(200, okBody))
			stop, cancelStop := context.WithCancel(context.Background())
			waiting := make(chan time.Duration, 1)
			c, _ := testClient(t, Config{}, h)
			c.sleep = func(ctx context.Context, d time.Duration) error {
				waiting <- d
				return sleepCtx(ctx, d)
			}
			go func() {
				<-waiting
				cancelStop()
			}()
			_, err := c.Chat(WithRetryStop(context.Background(), stop), hello())
			if !errors.Is(err, context.Canceled) {
				t.Errorf("wrong error\ngot:  %v\nwant: context.Canceled", err)
			}
			if n := calls(); n != 1 {
				t.Errorf("%d requests sent; want 1: the retry must not go out after the stop", n)
			}
		})
	}
}

// A stop that has ended when an attempt fails transiently means no retry and
// no wait at all, for Chat and ChatStream alike.
func TestRetryStopBeforeWait(t *testing.T) {
	t.Parallel()
	for _, stream := range []bool{false, true} {
		h, calls := sequence(reply(503, ``, "Retry-After", "30"), reply(200, okBody))
		stop, cancelStop := context.WithCancel(context.Background())
		c, w := testClient(t, Config{OnRateLimit: func(RateLimit) { cancelStop() }}, h)
		ctx := WithRetryStop(context.Background(), stop)
		var err error
		if stream {
			_, err = c.ChatStream(ctx, hello())
		} else {
			_, err = c.Chat(ctx, hello())
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("stream %t: wrong error\ngot:  %v\nwant: context.Canceled", stream, err)
		}
		if n, waits := calls(), w.get(); n != 1 || len(waits) != 0 {
			t.Errorf("stream %t: %d requests and waits %v; want 1 request and no wait", stream, n, waits)
		}
	}
}

// The stop does not touch an attempt in flight: it is answered, and the
// answer is returned. Only the end of ctx abandons it.
func TestRetryStopLeavesAttemptInFlight(t *testing.T) {
	t.Parallel()
	stop, cancelStop := context.WithCancel(context.Background())
	h, calls := sequence(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		cancelStop() // the first interrupt, while the request is on the network
		reply(200, okBody)(w, r)
	})
	c, _ := testClient(t, Config{}, h)
	resp, err := c.Chat(WithRetryStop(context.Background(), stop), hello())
	if err != nil {
		t.Fatalf("the call in flight failed: %v", err)
	}
	if resp.Text() != "hi" || calls() != 1 {
		t.Errorf("got %q after %d requests; want \"hi\" after 1", resp.Text(), calls())
	}
}

// The stop does not prevent the first attempt: the caller decides to call;
// the stop governs only the client's own retries.
func TestRetryStopFirstAttempt(t *testing.T) {
	t.Parallel()
	stop, cancelStop := context.WithCancel(context.Background())
	cancelStop()
	h, calls := sequence(reply(200, okBody))
	c, _ := testClient(t, Config{}, h)
	if _, err := c.Chat(WithRetryStop(context.Background(), stop), hello()); err != nil {
		t.Fatal(err)
	}
	if calls() != 1 {
		t.Errorf("%d requests; want 1", calls())
	}
}

// Without WithRetryStop, ctx alone ends the waits, as before.
func TestRetryStopAbsent(t *testing.T) {
	t.Parallel()
	h, calls := sequence(reply(429, `{}`, "Retry-After", "2"), reply(200, okBody))
	c, w := testClient(t, Config{}, h)
	if _, err := c.Chat(context.Background(), hello()); err != nil {
		t.Fatal(err)
	}
	if calls() != 2 || len(w.get()) != 1 {
		t.Errorf("%d requests, waits %v; want 2 and one wait", calls(), w.get())
	}
}
