package executor

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

const oneStep = `
model "m" { id = "m1" }
step "s" {
  model  = model.m
  prompt = "hello"
}
`

// skipHook records skipped steps too, and cancels the run's context when a
// rate-limit wait is announced, as a first interrupt during the wait does.
type skipHook struct {
	eventHook
	onWait func()
}

func (h *skipHook) StepSkipped(addr, cause string) { h.add("skipped %s: %s", addr, cause) }

func (h *skipHook) RateLimitWait(model string, wait time.Duration, reason string) {
	h.eventHook.RateLimitWait(model, wait, reason)
	if h.onWait != nil {
		h.onWait()
	}
}

// stoppedClient is a client whose wait before a retry is ended by the
// first interrupt: it cancels the run's context and returns its error, as
// the gateway client does when the stop of gateway.WithRetryStop ends.
type stoppedClient struct {
	fakeClient
	interrupt context.CancelFunc
}

func (c *stoppedClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.interrupt()
	return nil, context.Canceled
}

// checkInterrupted checks that the run reports the steps at addrs
// interrupted, not failed, and did not record them, so that the next apply
// runs them.
func checkInterrupted(t *testing.T, res *Result, hook *skipHook, path string, addrs ...string) {
	t.Helper()
	if !res.Interrupted || res.Called != 0 || res.Failed != 0 || res.Skipped != len(addrs) || res.Diagnostics.HasErrors() {
		t.Errorf("interrupted %v, called %d, failed %d, skipped %d, diagnostics %q; want interrupted, 0, 0, %d, none",
			res.Interrupted, res.Called, res.Failed, res.Skipped, res.Diagnostics.Error(), len(addrs))
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	events := hook.list()
	for _, addr := range addrs {
		if !slices.Contains(events, "skipped "+addr+": interrupted") {
			t.Errorf("events %q; want %s skipped as interrupted", events, addr)
		}
		if rec := saved.Steps[addr]; rec != nil {
			t.Errorf("%s is recorded (answered by %q); an interrupted step must run again next time", addr, rec.Model)
		}
	}
}

// The first interrupt ends a call's wait before a retry: the call comes
// back with the context's error while the calls in flight are still
// allowed to finish, and the step is interrupted, not failed.
func TestRunStopEndsCallWaitingToRetry(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, oneStep, st)
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	hook := &skipHook{}
	client := &stoppedClient{interrupt: interrupt}
	res := Run(ctx, plan, Options{Parallelism: 1, Store: storeWith(t, st, path), Hook: hook,
		CallContext: context.Background(),
		Client:      func(*planner.Model) ChatClient { return client }})
	checkInterrupted(t, res, hook, path, "step.s")
}

// End to end with the gateway client: the gateway answers 429 asking for a
// long wait, the wait is announced, and the first interrupt comes during
// it. The retry is never sent, and the step is interrupted; so is the
// second instance, queued behind max_concurrency and then the pause.
func TestRunStopEndsRateLimitWait(t *testing.T) {
	t.Parallel()
	const src = `
model "m" {
  id              = "m1"
  max_concurrency = 1
}
step "s" {
  count  = 2
  model  = model.m
  prompt = "hello ${count.index}"
}
`
	for name, header := range map[string]http.Header{
		"Retry-After":       {"Retry-After": {"3"}},
		"x-ratelimit-reset": {"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"300"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := gatewaytest.NewServer()
			defer srv.Close()
			srv.Enqueue(gatewaytest.Reply{Status: http.StatusTooManyRequests, Header: header})
			st := state.New()
			plan, path := setup(t, src, st)
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			limits := NewLimits()
			hook := &skipHook{onWait: interrupt}
			client := gateway.New(gateway.Config{BaseURL: srv.URL(), OnRateLimit: limits.Observe})
			res := Run(ctx, plan, Options{Parallelism: 1, Store: storeWith(t, st, path), Hook: hook, Limits: limits,
				CallContext: context.Background(),
				Client:      func(*planner.Model) ChatClient { return client }})
			checkInterrupted(t, res, hook, path, "step.s[0]", "step.s[1]")
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("the gateway got %d requests; want 1: no retry after the first interrupt", n)
			}
			if waits := hook.list(); !strings.HasPrefix(waits[0], "wait m1 ") {
				t.Errorf("events %q; want the wait announced first", waits)
			}
		})
	}
}

// After the first interrupt a client-mode fallback chain does not move on
// to its next model: that would be a new request. Whether the first model
// failed (its call was in flight at the interrupt) or its wait to retry was
// ended, the step is interrupted.
func TestRunStopEndsFallbackChain(t *testing.T) {
	t.Parallel()
	src := clientFallback
	for name, dead := range map[string]func(context.CancelFunc) ChatClient{
		"failed":       func(interrupt context.CancelFunc) ChatClient { return &interruptingClient{interrupt: interrupt} },
		"wait stopped": func(interrupt context.CancelFunc) ChatClient { return &stoppedClient{interrupt: interrupt} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := state.New()
			plan, path := setup(t, src, st)
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			first, backup := dead(interrupt), &fakeClient{}
			hook := &skipHook{}
			res := Run(ctx, plan, Options{Parallelism: 1, Store: storeWith(t, st, path), Hook: hook,
				CallContext: context.Background(),
				Client: func(m *planner.Model) ChatClient {
					if m.ID == "dead-1" {
						return first
					}
					return backup
				}})
			checkInterrupted(t, res, hook, path, "step.s")
			if calls := backup.callList(); len(calls) != 0 {
				t.Errorf("the fallback model got %d calls after the interrupt; want none", len(calls))
			}
		})
	}
}

// interruptingClient fails transiently, with a first interrupt while its
// call is in flight.
type interruptingClient struct {
	fakeClient
	interrupt context.CancelFunc
}

func (c *interruptingClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.interrupt()
	return nil, &gateway.APIError{StatusCode: http.StatusServiceUnavailable, Message: "down"}
}
