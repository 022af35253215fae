package gatewaytest

import (
	"net/http"
	"strconv"
	"time"
)

// rateLimit is the per-model sliding-window limit set by SetRateLimit.
type rateLimit struct {
	limit  int
	window time.Duration
	seen   map[string][]time.Time // model -> times of admitted requests
}

// SetRateLimit limits each model id to limit chat requests in any sliding
// window of the given length, as the real gateway does per model (30 a
// minute on paid accounts). A request beyond the limit gets 429 with the
// flat body {"request_id","message":"too many requests for this action",
// "code":429} and these headers:
//
//   - Retry-After: the wait in whole seconds, rounded up, at least 1;
//   - retry-after-ms: the same wait in milliseconds, rounded up, at least 1
//     (package gateway honours it before Retry-After, so a test with a
//     window of, say, 200ms retries after at most 200ms, not a second);
//   - x-ratelimit-limit, x-ratelimit-remaining (0), x-ratelimit-reset (whole
//     seconds until the oldest request leaves the window, rounded up),
//     x-ratelimit-model and x-ratelimit-service: llmgw.
//
// Every admitted chat request's answer carries the x-ratelimit-* headers
// too, with the requests remaining after it. Requests answered 429 do not
// count against the window. The limit is checked after the key and the
// request body are validated and before magic model ids and scripted
// replies. limit <= 0 or window <= 0 turns limiting off (the default) and
// forgets the window. Recorded.Status tells which requests were limited.
func (s *Server) SetRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit <= 0 || window <= 0 {
		s.rate = nil
		return
	}
	s.rate = &rateLimit{limit: limit, window: window, seen: map[string][]time.Time{}}
}

// admit counts a request for model arriving at now. It returns the
// x-ratelimit headers and, when the request is over the limit, the 429
// reply to send instead.
func (s *Server) admit(model string, now time.Time, id string) (http.Header, *Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rl := s.rate
	if rl == nil {
		return nil, nil
	}
	seen := rl.seen[model]
	for len(seen) > 0 && !seen[0].After(now.Add(-rl.window)) {
		seen = seen[1:]
	}
	blocked := len(seen) >= rl.limit
	if !blocked {
		seen = append(seen, now)
	}
	rl.seen[model] = seen
	wait := seen[0].Add(rl.window).Sub(now)
	h := http.Header{
		"X-Ratelimit-Limit":     {strconv.Itoa(rl.limit)},
		"X-Ratelimit-Remaining": {strconv.Itoa(rl.limit - len(seen))},
		"X-Ratelimit-Reset":     {strconv.FormatInt(ceilDiv(wait, time.Second), 10)},
		"X-Ratelimit-Model":     {model},
		"X-Ratelimit-Service":   {"llmgw"},
	}
	if !blocked {
		return h, nil
	}
	h.Set("Retry-After", strconv.FormatInt(max(ceilDiv(wait, time.Second), 1), 10))
	h.Set("Retry-After-Ms", strconv.FormatInt(max(ceilDiv(wait, time.Millisecond), 1), 10))
	return h, &Reply{Status: http.StatusTooManyRequests, Header: h, Body: map[string]any{
		"request_id": id,
		"message":    "too many requests for this action",
		"code":       http.StatusTooManyRequests,
	}}
}

// ceilDiv returns d/unit rounded up, and 0 for d <= 0.
func ceilDiv(d, unit time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + unit - 1) / unit)
}
