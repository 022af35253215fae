package executor

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// timedClient records when each call starts and how many calls to each
// model are in flight.
type timedClient struct {
	mu       sync.Mutex
	starts   map[string][]time.Time
	inFlight map[string]int
	maxSeen  map[string]int
	hold     time.Duration
}

func newTimedClient(hold time.Duration) *timedClient {
	return &timedClient{starts: map[string][]time.Time{}, inFlight: map[string]int{}, maxSeen: map[string]int{}, hold: hold}
}

func (c *timedClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.mu.Lock()
	c.starts[req.Model] = append(c.starts[req.Model], time.Now())
	c.inFlight[req.Model]++
	c.maxSeen[req.Model] = max(c.maxSeen[req.Model], c.inFlight[req.Model])
	c.mu.Unlock()
	time.Sleep(c.hold)
	c.mu.Lock()
	c.inFlight[req.Model]--
	c.mu.Unlock()
	return &gateway.Response{Model: req.Model, Choices: []gateway.Choice{{Message: gateway.Message{Role: "assistant", Content: gateway.TextContent("ok")}}}}, nil
}

func (c *timedClient) ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error) {
	return nil, errors.New("timedClient does not stream")
}

func TestRunPacesRequestsPerMinute(t *testing.T) {
	t.Parallel()
	// 1200 per minute: starts at least 50ms apart for model "slow"; "free"
	// has no limit and must not wait behind it.
	src := `
model "slow" {
  id                  = "slow"
  requests_per_minute = 1200
}
model "free" { id = "free" }
step "s" {
  for_each = toset([for i in range(10) : tostring(i)])
  model    = model.slow
  prompt   = "s ${each.key}"
}
step "f" {
  for_each = toset([for i in range(5) : tostring(i)])
  model    = model.free
  prompt   = "f ${each.key}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	tc := newTimedClient(0)
	t0 := time.Now()
	res := runWith(t, plan, st, path, tc, 10)
	if res.Diagnostics.HasErrors() || res.Called != 15 {
		t.Fatalf("called %d, diagnostics %s", res.Called, res.Diagnostics.Error())
	}
	starts := tc.starts["slow"]
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	// A bound no load can break: the client sees each call after the
	// limits let it start, and the first start is not before t0, so the
	// k-th call seen (counting from 0) is at least k intervals after t0.
	// The spacing of each pair is checked on a simulated clock in
	// TestLimitsHonourRateLimitsOnAClock.
	const interval = 50 * time.Millisecond
	for k, at := range starts {
		if min := time.Duration(k) * interval; at.Sub(t0) < min {
			t.Errorf("call %d to the paced model started %s after the run began; the limit allows no less than %s", k, at.Sub(t0), min)
		}
	}
	if len(tc.starts["free"]) != 5 {
		t.Errorf("the unpaced model got %d calls, want 5", len(tc.starts["free"]))
	}
}

func TestRunBoundsConcurrencyPerModel(t *testing.T) {
	t.Parallel()
	src := `
model "one" {
  id              = "one"
  max_concurrency = 2
}
step "s" {
  count  = 8
  model  = model.one
  prompt = "n ${count.index}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	tc := newTimedClient(5 * time.Millisecond)
	res := runWith(t, plan, st, path, tc, 10)
	if res.Called != 8 {
		t.Fatalf("called %d, want 8: %s", res.Called, res.Diagnostics.Error())
	}
	if got := tc.maxSeen["one"]; got > 2 {
		t.Errorf("%d calls to the model were in flight at once; max_concurrency is 2", got)
	}
}

func TestLimitsPause(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l := NewLimits()
	l.now = func() time.Time { return now }
	m := &planner.Model{ID: "m", RequestsPerMinute: 60}
	if ok, _ := l.take(m); !ok {
		t.Fatal("first call refused")
	}
	l.release(m)
	if ok, at := l.take(m); ok || !at.Equal(now.Add(time.Second)) {
		t.Errorf("second call within a second: ok=%v retry at %v; want refused until %v", ok, at, now.Add(time.Second))
	}
	l.Pause("m", 5*time.Second)
	now = now.Add(2 * time.Second)
	if ok, at := l.take(m); ok || !at.Equal(time.Unix(1005, 0)) {
		t.Errorf("during a pause: ok=%v retry at %v; want refused until 1005", ok, at)
	}
	// The paused call retries at 1005 on its own; the queue's next start
	// keeps one interval from it.
	now = now.Add(3 * time.Second)
	if ok, at := l.take(m); ok || !at.Equal(time.Unix(1006, 0)) {
		t.Errorf("at the end of the pause: ok=%v retry at %v; want refused until 1006", ok, at)
	}
	now = now.Add(time.Second)
	if ok, _ := l.take(m); !ok {
		t.Error("refused one interval after the pause ended")
	}
	if n := l.gates["m"].inFlight; n != 1 {
		t.Errorf("in flight %d, want 1", n)
	}
}

func TestLimitsCapServerWaits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	for _, rl := range []gateway.RateLimit{
		{Model: "m", Status: 200, Remaining: 0, Reset: 86400 * time.Second},
		{Model: "m", Status: 429, Remaining: 0, Reset: 86400 * time.Second},
		{Model: "m", Status: 429, RetryAfter: 86400 * time.Second},
	} {
		l := NewLimits()
		l.now = func() time.Time { return now }
		hook := &eventHook{}
		l.watch(hook)
		l.Observe(rl)
		if _, at := l.take(&planner.Model{ID: "m"}); at.Sub(now) > gateway.MaxServerWait || at.Sub(now) <= 0 {
			t.Errorf("%+v: paused for %s; want a pause of at most %s", rl, at.Sub(now), gateway.MaxServerWait)
		}
		events := hook.list()
		if len(events) != 1 || !strings.HasPrefix(events[0], "wait m "+gateway.MaxServerWait.String()+": rate limit") ||
			!strings.Contains(events[0], "capped at") {
			t.Errorf("%+v: events %q; want one wait of %s, saying it was capped", rl, events, gateway.MaxServerWait)
		}
	}
}

func TestLimitsReportEachPauseOnce(t *testing.T) {
	t.Parallel()
	l := NewLimits()
	hook := &eventHook{}
	l.watch(hook)
	// Ten calls in flight meet the same limit: one pause, one report.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			l.Observe(gateway.RateLimit{Model: "m", Status: 429, RetryAfter: 42 * time.Second, Remaining: -1, Limit: -1})
		})
	}
	wg.Wait()
	// Short waits pass without a word.
	l.Observe(gateway.RateLimit{Model: "other", Status: 429, RetryAfter: time.Second})
	events := hook.list()
	if len(events) != 1 || !strings.HasPrefix(events[0], "wait m 4") || !strings.Contains(events[0], "Retry-After") {
		t.Errorf("events %q; want one wait of about 42s for model m, naming Retry-After", events)
	}
}

func TestLimitsReportPacing(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l := NewLimits()
	l.now = func() time.Time { return now }
	hook := &eventHook{}
	l.watch(hook)
	m := &planner.Model{ID: "m", RequestsPerMinute: 6}
	l.take(m)
	l.release(m)
	for range 3 { // three queued calls see the same wait
		if ok, _ := l.take(m); ok {
			t.Fatal("a second call started within the interval")
		}
	}
	if events := hook.list(); len(events) != 1 || events[0] != "wait m 10s: requests_per_minute = 6" {
		t.Errorf("events %q; want one 10s wait for requests_per_minute", events)
	}
}

// limitedClient answers like fakeClient, after telling the limits that the
// gateway answered 429 asking for a long wait (as the gateway client does
// from its OnRateLimit callback before it retries).
type limitedClient struct {
	fakeClient
	limits *Limits
}

func (c *limitedClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.limits.Observe(gateway.RateLimit{Model: req.Model, Status: 429, Limit: 30, Remaining: 0, Reset: 60 * time.Second})
	return c.fakeClient.Chat(ctx, req)
}

func TestRunReportsRateLimitWaits(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
step "s" {
  model  = model.m
  prompt = "hello"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	limits := NewLimits()
	hook := &eventHook{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Store: storeWith(t, st, path), Hook: hook, Limits: limits,
		Client: func(*planner.Model) ChatClient { return &limitedClient{limits: limits} }})
	if res.Called != 1 {
		t.Fatalf("called %d: %s", res.Called, res.Diagnostics.Error())
	}
	var waits []string
	for _, e := range hook.list() {
		if strings.HasPrefix(e, "wait ") {
			waits = append(waits, e)
		}
	}
	if len(waits) != 1 || !strings.HasPrefix(waits[0], "wait m1 ") || !strings.Contains(waits[0], "x-ratelimit-reset") {
		t.Errorf("waits %q; want one for model m1 until x-ratelimit-reset", waits)
	}
}

// The limits hold a model back exactly as long as the gateway client waits
// before its retry: a 429 whose Retry-After says "now" is retried at once,
// so it pauses nothing and announces nothing, even when its window is used
// up until x-ratelimit-reset; without Retry-After the reset is the wait.
func TestLimitsPauseAsLongAsTheRetryWaits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	for name, tc := range map[string]struct {
		header []string
		want   time.Duration
	}{
		"retry-after zero": {[]string{"Retry-After", "0", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "60"}, 0},
		"reset":            {[]string{"X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "60"}, time.Minute},
		"retry-after":      {[]string{"Retry-After", "7", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "60"}, 7 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := gatewaytest.NewServer()
			defer srv.Close()
			h := http.Header{}
			for i := 0; i+1 < len(tc.header); i += 2 {
				h.Set(tc.header[i], tc.header[i+1])
			}
			srv.Enqueue(gatewaytest.Reply{Status: http.StatusTooManyRequests, Header: h})
			l := NewLimits()
			l.now = func() time.Time { return now }
			hook := &eventHook{}
			l.watch(hook)
			var asked []time.Duration
			client := gateway.New(gateway.Config{BaseURL: srv.URL(), MaxRetries: -1, OnRateLimit: func(rl gateway.RateLimit) {
				d, _, _ := rl.ServerWait()
				asked = append(asked, d)
				l.Observe(rl)
			}})
			if _, err := client.Chat(context.Background(), &gateway.Request{Model: "m",
				Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("hi")}}}); err == nil {
				t.Fatal("the 429 was not an error")
			}
			ok, at := l.take(&planner.Model{ID: "m"})
			switch {
			case tc.want == 0 && (!ok || len(hook.list()) != 0):
				t.Errorf("paused until %v, events %q; want no pause and nothing announced", at, hook.list())
			case tc.want > 0 && (ok || !at.Equal(now.Add(tc.want))):
				t.Errorf("ok %v, paused until %v; want a pause until %v", ok, at, now.Add(tc.want))
			}
			if len(asked) != 1 || asked[0] != tc.want {
				t.Errorf("the retry would wait %v; want %s", asked, tc.want)
			}
		})
	}
}
