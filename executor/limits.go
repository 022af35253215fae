package executor

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// Limits paces calls per model: at most MaxConcurrency in flight, starts
// spaced at least a minute / RequestsPerMinute apart, and pauses that the
// gateway asks for (gateway.RateLimit.ServerWait: a 429's Retry-After, or
// until x-ratelimit-reset), each at most gateway.MaxServerWait. Models are
// keyed by their gateway id, so two model blocks with one id share a limit,
// as they do on the gateway. A Limits is safe for concurrent use: Observe is
// called from request goroutines. Each decision to hold a model's calls
// back for more than shownWait is reported once to the run's hook.
type Limits struct {
	mu    sync.Mutex
	now   func() time.Time
	gates map[string]*gate
	hook  Hook // told of each long wait; set by Run
}

// shownWait is the shortest wait that Hook.RateLimitWait reports: shorter
// ones pass without a word.
const shownWait = 2 * time.Second

// gate is the pacing state of one model id.
type gate struct {
	maxConc  int
	interval time.Duration
	inFlight int
	next     time.Time // earliest start allowed by requests_per_minute
	paused   time.Time // no start before this, as the gateway asked
	rpm      int       // the requests_per_minute that set interval
	shown    time.Time // the end of the last wait reported to the hook
}

// wait is a pause to report to the hook; the zero wait reports nothing.
type wait struct {
	model  string
	d      time.Duration
	reason string
}

// NewLimits returns empty limits on the wall clock.
func NewLimits() *Limits {
	return &Limits{now: time.Now, gates: map[string]*gate{}}
}

// gateFor returns the gate of a model, creating it from the model's
// settings; the caller holds l.mu.
func (l *Limits) gateFor(m *planner.Model) *gate {
	g, ok := l.gates[m.ID]
	if !ok {
		g = &gate{}
		l.gates[m.ID] = g
	}
	if m.MaxConcurrency > 0 && (g.maxConc == 0 || m.MaxConcurrency < g.maxConc) {
		g.maxConc = m.MaxConcurrency
	}
	if m.RequestsPerMinute > 0 {
		if iv := time.Minute / time.Duration(m.RequestsPerMinute); iv > g.interval {
			g.interval, g.rpm = iv, m.RequestsPerMinute
		}
	}
	return g
}

// watch makes the limits report long waits to h.
func (l *Limits) watch(h Hook) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hook = h
}

// noteWait returns the wait until the given time, to report, when it is
// long enough and not already covered by one reported: many calls that
// meet the same pause report it once. The caller holds l.mu.
func (l *Limits) noteWait(g *gate, model string, until time.Time, reason string) wait {
	d := until.Sub(l.now())
	if d <= shownWait || !until.After(g.shown.Add(shownWait)) {
		return wait{}
	}
	g.shown = until
	return wait{model: model, d: d, reason: reason}
}

// tell reports a wait to the hook; it is called without l.mu held, since
// a hook may take its time.
func (l *Limits) tell(w wait) {
	if w.d <= 0 {
		return
	}
	l.mu.Lock()
	h := l.hook
	l.mu.Unlock()
	if h != nil {
		h.RateLimitWait(w.model, w.d, w.reason)
	}
}

// take reserves a start for a call to m now, or returns when one could
// start (the zero time when it waits for a call in flight to end).
// A wait for requests_per_minute longer than shownWait is reported once.
func (l *Limits) take(m *planner.Model) (ok bool, retryAt time.Time) {
	l.mu.Lock()
	ok, retryAt, w := l.takeLocked(m)
	l.mu.Unlock()
	l.tell(w)
	return ok, retryAt
}

func (l *Limits) takeLocked(m *planner.Model) (bool, time.Time, wait) {
	g, now := l.gateFor(m), l.now()
	switch {
	case g.maxConc > 0 && g.inFlight >= g.maxConc:
		return false, time.Time{}, wait{}
	case now.Before(g.paused):
		return false, g.paused, wait{}
	case now.Before(g.next):
		return false, g.next, l.noteWait(g, m.ID, g.next, fmt.Sprintf("requests_per_minute = %d", g.rpm))
	}
	g.inFlight++
	if g.interval > 0 {
		g.next = now.Add(g.interval)
	}
	return true, time.Time{}, wait{}
}

// release ends a call to m.
func (l *Limits) release(m *planner.Model) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gateFor(m).inFlight--
}

// Pause stops new calls to the model id until d from now, as a 429's
// Retry-After or an exhausted x-ratelimit window asks; d is capped at
// gateway.MaxServerWait. A pause longer than shownWait is reported to the
// hook once, however many calls meet it.
func (l *Limits) Pause(model string, d time.Duration) {
	l.pause(model, d, "rate limit")
}

func (l *Limits) pause(model string, d time.Duration, reason string) {
	if d <= 0 {
		return
	}
	if d > gateway.MaxServerWait {
		reason += fmt.Sprintf("; the gateway asked for %s, capped at %s", d.Round(time.Second), gateway.MaxServerWait)
		d = gateway.MaxServerWait
	}
	l.mu.Lock()
	w := l.pauseLocked(model, d, reason)
	l.mu.Unlock()
	l.tell(w)
}

func (l *Limits) pauseLocked(model string, d time.Duration, reason string) wait {
	g, ok := l.gates[model]
	if !ok {
		g = &gate{}
		l.gates[model] = g
	}
	if until := l.now().Add(d); until.After(g.paused) {
		g.paused = until
		// The call that was told to wait retries at the end of the pause
		// (the client waits the same ServerWait); the queue's next start
		// keeps its distance from that one.
		if next := until.Add(g.interval); next.After(g.next) {
			g.next = next
		}
		return l.noteWait(g, model, until, reason)
	}
	return wait{}
}

// Observe takes the gateway's rate-limit answer for a model and pauses the
// model for the wait it asks for (see gateway.RateLimit.ServerWait: a 429's
// or 503's Retry-After, else until x-ratelimit-reset on a 429 or when no
// requests are left), which is the wait the gateway client takes before it
// retries the request that got the answer; a 429 that asks for nothing
// pauses it for a second. It suits gateway.Config.OnRateLimit.
func (l *Limits) Observe(rl gateway.RateLimit) {
	if d, why, ok := rl.ServerWait(); ok {
		l.pause(rl.Model, d, "rate limit ("+why+")")
		return
	}
	if rl.Status == http.StatusTooManyRequests {
		l.pause(rl.Model, time.Second, "rate limit (429 Too Many Requests)")
	}
}
