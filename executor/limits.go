package executor

import (
	"net/http"
	"sync"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// Limits paces calls per model: at most MaxConcurrency in flight, starts
// spaced at least a minute / RequestsPerMinute apart, and pauses that the
// gateway asks for (429 with Retry-After, or x-ratelimit-remaining 0 until
// x-ratelimit-reset). Models are keyed by their gateway id, so two model
// blocks with one id share a limit, as they do on the gateway. A Limits is
// safe for concurrent use: Observe is called from request goroutines.
type Limits struct {
	mu    sync.Mutex
	now   func() time.Time
	gates map[string]*gate
}

// gate is the pacing state of one model id.
type gate struct {
	maxConc  int
	interval time.Duration
	inFlight int
	next     time.Time // earliest start allowed by requests_per_minute
	paused   time.Time // no start before this, as the gateway asked
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
			g.interval = iv
		}
	}
	return g
}

// take reserves a start for a call to m now, or returns when one could
// start (the zero time when it waits for a call in flight to end).
func (l *Limits) take(m *planner.Model) (ok bool, retryAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, now := l.gateFor(m), l.now()
	switch {
	case g.maxConc > 0 && g.inFlight >= g.maxConc:
		return false, time.Time{}
	case now.Before(g.paused):
		return false, g.paused
	case now.Before(g.next):
		return false, g.next
	}
	g.inFlight++
	if g.interval > 0 {
		g.next = now.Add(g.interval)
	}
	return true, time.Time{}
}

// release ends a call to m.
func (l *Limits) release(m *planner.Model) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gateFor(m).inFlight--
}

// Pause stops new calls to the model id until d from now, as a 429's
// Retry-After or an exhausted x-ratelimit window asks.
func (l *Limits) Pause(model string, d time.Duration) {
	if d <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.gates[model]
	if !ok {
		g = &gate{}
		l.gates[model] = g
	}
	if until := l.now().Add(d); until.After(g.paused) {
		g.paused = until
		// The call that was told to wait retries at the end of the pause
		// (the client honours Retry-After); the queue's next start keeps
		// its distance from that one.
		if next := until.Add(g.interval); next.After(g.next) {
			g.next = next
		}
	}
}

// Observe takes the gateway's rate-limit answer for a model: a 429 pauses
// the model for its Retry-After (or the window's reset, or a second), and a
// window with no requests left pauses it until the reset. It suits
// gateway.Config.OnRateLimit.
func (l *Limits) Observe(rl gateway.RateLimit) {
	switch {
	case rl.Status == http.StatusTooManyRequests:
		d := rl.RetryAfter
		if d <= 0 {
			d = rl.Reset
		}
		if d <= 0 {
			d = time.Second
		}
		l.Pause(rl.Model, d)
	case rl.Remaining == 0 && rl.Reset > 0:
		l.Pause(rl.Model, rl.Reset)
	}
}
