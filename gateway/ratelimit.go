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
	rl = RateLimit{
		Model:     model,
		Limit:     headerInt(h.Get(headerLimit)),
		Remaining: headerInt(h.Get(headerRemaining)),
		Reset:     parseReset(h.Get(headerReset), now),
		Status:    status,
	}
	if m := strings.TrimSpace(h.Get(headerModel)); m != "" {
		rl.Model = m
	}
	rl.RetryAfter, _ = retryAfter(h, now)
	return rl, true
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
