package gateway

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Rate-limit response headers. retry-after-ms is not sent
// by the LLM Gateway; it is the OpenAI convention for sub-second waits, which
// the fake gateway (package gatewaytest) uses so that tests need not sleep
// whole seconds.
const (
	headerLimit        = "X-Ratelimit-Limit"
	headerRemaining    = "X-Ratelimit-Remaining"
	headerReset        = "X-Ratelimit-Reset"
	headerModel        = "X-Ratelimit-Model"
	headerRetryAfter   = "Retry-After"
	headerRetryAfterMS = "Retry-After-Ms"
)

// unixThreshold tells a reset given as a Unix timestamp from one given as a
// number of seconds: no window lasts 30 years.
const unixThreshold = 1e9

// maxUnix bounds a Unix timestamp before it is converted (year 2242): any
// later reset is capped at MaxServerWait all the same.
const maxUnix = 1 << 33

// RateLimit is what one HTTP response said about the rate limit: the
// x-ratelimit-* headers, Retry-After, and the status. See Config.OnRateLimit.
type RateLimit struct {
	// Model is the x-ratelimit-model header, or else the model id of the
	// request (empty for GET /models).
	Model string

	// Limit and Remaining are the requests allowed per window and those
	// left in it; -1 when the header is absent or unreadable.
	Limit, Remaining int

	// Reset is how long until the window frees up again: x-ratelimit-reset
	// read as seconds (an integer or a float), or as a Unix timestamp or an
	// HTTP date when it looks like one, capped at MaxServerWait (five
	// minutes) so that a wrong or hostile header cannot stall a run. Zero
	// when absent.
	Reset time.Duration

	// RetryAfter is the wait the server asked for: retry-after-ms when
	// present, else Retry-After (seconds or an HTTP date), capped at
	// MaxServerWait (five minutes). Zero when absent.
	RetryAfter time.Duration

	// Status is the HTTP status of the response (429 when rate-limited).
	Status int

	retryAfterSet bool // the response carried a usable Retry-After, zero included
}

// HasRetryAfter reports whether the response carried a usable Retry-After
// or retry-after-ms header (RetryAfter may then be zero: "retry now"), or
// RetryAfter is set.
func (rl RateLimit) HasRetryAfter() bool { return rl.retryAfterSet || rl.RetryAfter > 0 }

// ServerWait returns the wait that the response asks for before the next
// request to its model, and why, in words such as "429 Too Many Requests,
// until x-ratelimit-reset"; ok is false when it asks for none. The rule:
//
//   - a 429 or a 503 with Retry-After (or retry-after-ms) asks for that
//     wait, zero included, whatever the other headers say;
//   - else a 429, or any response saying that no requests are left
//     (x-ratelimit-remaining 0), asks to wait until x-ratelimit-reset, when
//     that is in the future.
//
// The Client waits exactly this long before it retries the request that
// got the response, so a caller that holds the model's other requests back
// for ServerWait (see Config.OnRateLimit) holds them as long as the retry
// waits, and no longer.
func (rl RateLimit) ServerWait() (wait time.Duration, why string, ok bool) {
	busy := rl.Status == http.StatusTooManyRequests || rl.Status == http.StatusServiceUnavailable
	switch {
	case busy && rl.HasRetryAfter():
		return rl.RetryAfter, statusText(rl.Status) + ", Retry-After", true
	case rl.Reset > 0 && rl.Status == http.StatusTooManyRequests:
		return rl.Reset, statusText(rl.Status) + ", until x-ratelimit-reset", true
	case rl.Reset > 0 && rl.Remaining == 0:
		return rl.Reset, "no requests left until x-ratelimit-reset", true
	}
	return 0, "", false
}

// parseRateLimit reads the rate-limit information of a response. ok is
// false when the response has none of the headers and is not a 429.
func parseRateLimit(h http.Header, status int, model string, now time.Time) (rl RateLimit, ok bool) {
	ok = status == http.StatusTooManyRequests
	for _, k := range []string{headerLimit, headerRemaining, headerReset, headerModel, headerRetryAfter, headerRetryAfterMS} {
		if h.Get(k) != "" {
			ok = true
		}
	}
	if !ok {
		return RateLimit{}, false
	}
	return readRateLimit(h, status, model, now), true
}

// readRateLimit reads the rate-limit headers of a response, present or not.
func readRateLimit(h http.Header, status int, model string, now time.Time) RateLimit {
	rl := RateLimit{
		Model:     model,
		Limit:     headerInt(h.Get(headerLimit)),
		Remaining: headerInt(h.Get(headerRemaining)),
		Reset:     parseReset(h.Get(headerReset), now),
		Status:    status,
	}
	if m := strings.TrimSpace(h.Get(headerModel)); m != "" {
		rl.Model = m
	}
	rl.RetryAfter, rl.retryAfterSet = retryAfter(h, now)
	return rl
}

// rateLimitOf reads the rate-limit information of an error answer, for the
// wait before its retry. Its Retry-After is the one the error holds.
func rateLimitOf(e *APIError, now time.Time) RateLimit {
	rl := readRateLimit(e.Header, e.StatusCode, "", now)
	rl.RetryAfter, rl.retryAfterSet = e.RetryAfter, e.HasRetryAfter()
	return rl
}

// headerInt reads a non-negative integer header, -1 when absent or bad.
func headerInt(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// parseReset reads x-ratelimit-reset: seconds (integer or float), a Unix
// timestamp (seconds, a value above unixThreshold), or an HTTP date, capped
// at MaxServerWait. A time in the past, a negative or an unreadable value
// gives zero.
func parseReset(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		switch {
		case f <= 0:
			return 0
		case f >= unixThreshold:
			return capWait(time.Unix(int64(min(f, maxUnix)), 0).Sub(now))
		default:
			return capWait(time.Duration(f * float64(time.Second)))
		}
	}
	if t, err := http.ParseTime(v); err == nil {
		return capWait(t.Sub(now))
	}
	return 0
}

// retryAfter reads the wait a response asked for: retry-after-ms (a number
// of milliseconds) when present and valid, else Retry-After. ok is false
// when neither is usable.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get(headerRetryAfterMS)); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			ms = min(ms, float64(MaxServerWait.Milliseconds()))
			return capWait(time.Duration(ms * float64(time.Millisecond))), true
		}
	}
	return parseRetryAfter(h.Get(headerRetryAfter), now)
}

// noteRateLimit calls Config.OnRateLimit, when set, for a response that
// carries rate-limit information. model is the request's model id.
func (c *Client) noteRateLimit(resp *http.Response, model string) {
	if c.cfg.OnRateLimit == nil {
		return
	}
	if rl, ok := parseRateLimit(resp.Header, resp.StatusCode, model, c.now()); ok {
		c.cfg.OnRateLimit(rl)
	}
}
