package executor

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// slidingGateway simulates a gateway that admits limit requests per model
// in any sliding window and answers 429 beyond it, with the rate-limit
// answer the gateway client would report: Retry-After (to the millisecond,
// as retry-after-ms) on a 429, and x-ratelimit-remaining and -reset (whole
// seconds, rounded up) on every answer.
type slidingGateway struct {
	limit  int
	window time.Duration
	quiet  bool        // admitted answers carry no x-ratelimit headers
	seen   []time.Time // admitted requests
}

// send answers a request at now.
func (g *slidingGateway) send(model string, now time.Time) gateway.RateLimit {
	for len(g.seen) > 0 && !g.seen[0].Add(g.window).After(now) {
		g.seen = g.seen[1:]
	}
	if len(g.seen) >= g.limit {
		d := g.seen[0].Add(g.window).Sub(now)
		return gateway.RateLimit{Model: model, Status: http.StatusTooManyRequests, RetryAfter: d,
			Limit: g.limit, Remaining: 0, Reset: d.Truncate(time.Second) + time.Second}
	}
	g.seen = append(g.seen, now)
	if g.quiet {
		return gateway.RateLimit{Model: model, Status: http.StatusOK, Limit: -1, Remaining: -1}
	}
	reset := g.seen[0].Add(g.window).Sub(now)
	return gateway.RateLimit{Model: model, Status: http.StatusOK,
		Limit: g.limit, Remaining: g.limit - len(g.seen), Reset: reset.Truncate(time.Second) + time.Second}
}

// TestLimitsHonourRateLimitsOnAClock runs 100 calls to one model through
// the limits on a simulated clock, as the scheduler and the gateway client
// do: at most 20 in flight (-parallelism), requests_per_minute = 1500 (one
// start per 40ms), against a gateway that admits 20 requests a second and
// answers 429 beyond that, each observed by the limits, a 429 retried by
// the client after the wait it asks for. Every call must end, and no two
// requests, retries included, may start closer than the pacing allows.
// A gateway that says nothing until it answers 429 must be met.
func TestLimitsHonourRateLimitsOnAClock(t *testing.T) {
	t.Parallel()
	for _, quiet := range []bool{false, true} {
		limited := runOnAClock(t, &slidingGateway{limit: 20, window: time.Second, quiet: quiet})
		if quiet && limited == 0 {
			t.Error("no request met the gateway's limit; the test exercises nothing")
		}
	}
}

// runOnAClock runs the simulation against gw and returns how many requests
// were answered 429.
func runOnAClock(t *testing.T, gw *slidingGateway) int {
	t.Helper()
	const calls, parallelism, latency = 100, 20, 30 * time.Millisecond
	const interval = 40 * time.Millisecond
	now := time.Unix(1000, 0)
	l := NewLimits()
	l.now = func() time.Time { return now }
	m := &planner.Model{ID: "m", RequestsPerMinute: 1500}

	type event struct {
		at    time.Time
		retry bool // a 429 retried by the client; else the call's end
	}
	var events []event
	var starts []time.Time
	queued, busy, done, limited := calls, 0, 0, 0
	send := func() {
		starts = append(starts, now)
		rl := gw.send(m.ID, now)
		l.Observe(rl)
		if rl.Status == http.StatusTooManyRequests {
			limited++
			wait, _, _ := rl.ServerWait()
			events = append(events, event{at: now.Add(wait), retry: true})
			return
		}
		events = append(events, event{at: now.Add(latency)})
	}
	for done < calls {
		var wake time.Time
		for queued > 0 && busy < parallelism {
			ok, at := l.take(m)
			if !ok {
				wake = at
				break
			}
			queued, busy = queued-1, busy+1
			send()
		}
		slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
		switch {
		case len(events) > 0 && (wake.IsZero() || !wake.Before(events[0].at)):
			e := events[0]
			events = events[1:]
			now = e.at
			if e.retry {
				send()
				continue
			}
			l.release(m)
			busy, done = busy-1, done+1
		case !wake.IsZero():
			now = wake
		default:
			t.Fatalf("stuck with %d calls queued, %d in flight", queued, busy)
		}
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < interval {
			t.Fatalf("requests %d and %d started %s apart; requests_per_minute allows no less than %s", i-1, i, gap, interval)
		}
	}
	t.Logf("quiet %v: %d requests, %d answered 429, over %s", gw.quiet, len(starts), limited, now.Sub(time.Unix(1000, 0)))
	return limited
}
