package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff policy. The gateway already retries once on its own side
// (fallback_config.retry), so the client's retries are few and capped.
const (
	backoffBase   = 500 * time.Millisecond
	backoffFactor = 2
	backoffCap    = 30 * time.Second
)

// MaxServerWait caps every wait a server asks for: Retry-After (seconds or
// an HTTP date), retry-after-ms and x-ratelimit-reset (seconds, a Unix
// timestamp or an HTTP date), in APIError.RetryAfter, RateLimit and the
// retry waits alike. A longer request is read as this long, so that a wrong
// or hostile header cannot stall a run for hours.
const MaxServerWait = 5 * time.Minute

// retryStopKey is the context key of the stop that WithRetryStop attaches.
type retryStopKey struct{}

// WithRetryStop returns a copy of ctx that carries stop, for Chat and
// ChatStream: once stop has ended, the client sends no more retries. A wait
// before a retry (a backoff, or a wait the server asked for) ends as soon
// as stop does, and the call returns stop's error instead of retrying. The
// first attempt is made all the same (whether to call at all is the
// caller's decision), and an attempt in flight is not touched: only the end
// of ctx abandons it. This tells "start nothing new" (say, a first
// interrupt) from "abandon what is on the network" (a second one).
func WithRetryStop(ctx, stop context.Context) context.Context {
	return context.WithValue(ctx, retryStopKey{}, stop)
}

// retryStop returns the stop that WithRetryStop attached to ctx, or nil.
func retryStop(ctx context.Context) context.Context {
	stop, _ := ctx.Value(retryStopKey{}).(context.Context)
	return stop
}

// retry runs attempt until it succeeds, fails with an error that is not
// transient, or the retries are used up, waiting between attempts. Each
// attempt gets x with its attempt number set. It returns the number of
// attempts made and the last error; or ctx's error when ctx ends during a
// wait, or the stop's error when the stop of WithRetryStop has ended before
// a retry. An attempt cut short by the end of ctx is never retried.
func (c *Client) retry(ctx context.Context, x exchange, attempt func(context.Context, exchange) error) (int, error) {
	maxRetries := max(c.cfg.MaxRetries, 0)
	for n := 0; ; n++ {
		x.attempt = n + 1
		err := attempt(ctx, x)
		if err == nil || n >= maxRetries || ctx.Err() != nil || Classify(err) != ClassTransient {
			return n + 1, err
		}
		if stop := retryStop(ctx); stop != nil && stop.Err() != nil {
			return n + 1, stop.Err()
		}
		wait, asked := c.backoff(n, err)
		c.logRetry(x, wait, asked, err)
		if err := c.wait(ctx, wait); err != nil {
			return n + 1, err
		}
	}
}

// wait sleeps d before a retry. It ends early with ctx's error when ctx
// ends, or with the stop's error when the stop that ctx carries (see
// WithRetryStop) ends; a stop that ends as the sleep does still cancels the
// retry.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	stop := retryStop(ctx)
	if stop == nil {
		return c.sleep(ctx, d)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(stop, cancel)()
	if err := c.sleep(wctx, d); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return stop.Err()
}

// backoff returns the wait before retry number n+1 after err, and whether
// the server asked for it. A response that asked for a wait (see
// RateLimit.ServerWait: a 429's or a 503's Retry-After, or else the time
// until x-ratelimit-reset on a 429 or when no requests are left) gets
// exactly that wait, capped at MaxServerWait; anything else backs off
// exponentially from backoffBase, capped at backoffCap, with equal jitter
// (half the step fixed, half random).
func (c *Client) backoff(n int, err error) (wait time.Duration, serverAsked bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		if d, _, ok := rateLimitOf(apiErr, c.now()).ServerWait(); ok {
			return min(d, MaxServerWait), true
		}
	}
	d := backoffBase
	for range n {
		d *= backoffFactor
		if d >= backoffCap {
			d = backoffCap
			break
		}
	}
	half := d / 2
	return half + c.jitter(d-half), false
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date,
// capped at MaxServerWait. A date in the past means zero. ok is false when
// the value is absent or unreadable.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(MaxServerWait/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return capWait(t.Sub(now)), true
}

// capWait bounds a wait a server asked for to [0, MaxServerWait].
func capWait(d time.Duration) time.Duration {
	return min(max(d, 0), MaxServerWait)
}

// sleepCtx waits for d or until ctx ends, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// randomJitter returns a random duration in [0, limit].
func randomJitter(limit time.Duration) time.Duration {
	if limit <= 0 {
		return 0
	}
	return rand.N(limit + 1)
}
