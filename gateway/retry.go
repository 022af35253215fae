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

// retry runs attempt until it succeeds, fails with an error that is not
// transient, or the retries are used up, waiting between attempts. Each
// attempt gets x with its attempt number set. It returns the number of
// attempts made and the last error, or ctx.Err() when ctx ends during a
// wait. An attempt cut short by the end of ctx is never retried.
func (c *Client) retry(ctx context.Context, x exchange, attempt func(context.Context, exchange) error) (int, error) {
	maxRetries := max(c.cfg.MaxRetries, 0)
	for n := 0; ; n++ {
		x.attempt = n + 1
		err := attempt(ctx, x)
		if err == nil || n >= maxRetries || ctx.Err() != nil || Classify(err) != ClassTransient {
			return n + 1, err
		}
		wait, asked := c.backoff(n, err)
		c.logRetry(x, wait, asked, err)
		if err := c.sleep(ctx, wait); err != nil {
			return n + 1, err
		}
	}
}

// backoff returns the wait before retry number n+1 after err, and whether
// the server asked for it. A 429 or 503 with Retry-After waits what the
// server asked for, capped at MaxServerWait; anything else backs off
// exponentially from backoffBase, capped at backoffCap, with equal jitter
// (half the step fixed, half random).
func (c *Client) backoff(n int, err error) (wait time.Duration, serverAsked bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.HasRetryAfter() &&
		(apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode == http.StatusServiceUnavailable) {
		return min(apiErr.RetryAfter, MaxServerWait), true
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
