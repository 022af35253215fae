package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

func TestRedactorForms(t *testing.T) {
	t.Parallel()
	rd := newRedactorOf([]string{"s3cr\"et <x>", "line one\n  line two", "pin-1"})
	for _, text := range []string{
		`raw s3cr"et <x> here`,
		`json s3cr\"et \u003cx\u003e here`,
		`json s3cr\"et <x> here`,
		`double-escaped s3cr\\\"et <x> here`,
		`go-quoted "s3cr\"et <x>" here`,
		"raw line one\n  line two here",
		`json line one\n  line two here`,
		`excerpt line one line two here`,
		`short pin-1 and pin-1`,
	} {
		got := rd.text(text)
		for _, leak := range []string{"s3cr", "line two", "pin-1"} {
			if strings.Contains(got, leak) {
				t.Errorf("%q scrubbed to %q, which still shows %q", text, got, leak)
			}
		}
		if !strings.Contains(got, sensitiveText) {
			t.Errorf("%q scrubbed to %q, without %s", text, got, sensitiveText)
		}
	}
	if got := (redactor{}).text("nothing to hide"); got != "nothing to hide" {
		t.Errorf("the zero redactor changed the text to %q", got)
	}
}

func TestRedactorKeepsTheErrorClass(t *testing.T) {
	t.Parallel()
	rd := newRedactorOf([]string{"hunter2"})
	err := rd.error(fmt.Errorf("model %q: %w", "m", &gateway.APIError{StatusCode: 401, Message: "bad key hunter2"}))
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("scrubbed error still shows the value: %s", err)
	}
	if gateway.Classify(err) != gateway.ClassAuth {
		t.Errorf("scrubbed error has class %s, want auth", gateway.Classify(err))
	}
	plain := errors.New("nothing to hide")
	if rd.error(plain) != plain {
		t.Error("an error without a sensitive value was rewrapped")
	}
}

// quotingClient fails every request with a 400 that quotes the request's
// messages, as some gateways do.
type quotingClient struct{ fakeClient }

func (q *quotingClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	var quoted []string
	for _, m := range req.Messages {
		quoted = append(quoted, m.Content.String())
	}
	return nil, &gateway.APIError{StatusCode: 400, Message: "cannot process " + strings.Join(quoted, " | "),
		Details: []string{fmt.Sprintf("%q", quoted)}}
}

// eventHook records the events of a run as lines of text.
type eventHook struct {
	NopHook
	mu     sync.Mutex
	events []string
}

func (h *eventHook) add(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, fmt.Sprintf(format, args...))
}

func (h *eventHook) StepFailed(addr string, _ *state.Step, err error) {
	h.add("failed %s: %s", addr, err)
}
func (h *eventHook) StepFinished(addr string, rec *state.Step, reused bool, _ time.Duration) {
	h.add("finished %s", addr)
}
func (h *eventHook) StepUnrecorded(addr string, rec *state.Step, err error) {
	h.add("unrecorded %s: %s", addr, err)
}
func (h *eventHook) ToolRan(addr, tool string, _ time.Duration, err error) {
	h.add("tool %s %s: %v", addr, tool, err)
}
func (h *eventHook) RateLimitWait(model string, wait time.Duration, reason string) {
	h.add("wait %s %s: %s", model, wait, reason)
}

func (h *eventHook) list() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

func TestRunScrubsSensitiveValuesFromErrors(t *testing.T) {
	t.Parallel()
	src := `
variable "creds" {
  type      = object({ user = string, keys = list(string) })
  sensitive = true
  default   = { user = "ana", keys = ["key-ALPHA", "key-BETA"] }
}
model "m" { id = "m1" }
step "s" {
  model  = model.m
  system = "Derived: ${upper(var.creds.user)}-${var.creds.keys[1]}"
  prompt = "Use ${var.creds.keys[0]}."
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	hook := &eventHook{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Client: func(*planner.Model) ChatClient { return &quotingClient{} },
		Store: storeWith(t, st, path), Hook: hook})
	if res.Failed != 1 {
		t.Fatalf("failed %d, want 1: %s", res.Failed, res.Diagnostics.Error())
	}
	shown := res.Diagnostics.Error() + strings.Join(hook.list(), "\n")
	for _, leak := range []string{"ALPHA", "BETA", "Derived: ANA"} {
		if strings.Contains(shown, leak) {
			t.Errorf("%q is shown:\n%s", leak, shown)
		}
	}
	if !strings.Contains(shown, "cannot process (sensitive value) | (sensitive value)") {
		t.Errorf("the error lost its shape:\n%s", shown)
	}
}

// bodyQuotingClient fails every call with a 400 that quotes the whole
// request body, as some servers do.
type bodyQuotingClient struct{ fakeClient }

func (q *bodyQuotingClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return nil, &gateway.APIError{StatusCode: 400, Message: "bad request " + string(body)}
}

func TestRunScrubsSensitiveParamsFromErrors(t *testing.T) {
	t.Parallel()
	src := `
variable "secret" {
  type      = string
  sensitive = true
  default   = "ana"
}
model "m" { id = "m1" }
step "s" {
  model  = model.m
  prompt = "plain"
  params = { user = "user-${upper(var.secret)}-x" }
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	hook := &eventHook{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Client: func(*planner.Model) ChatClient { return &bodyQuotingClient{} },
		Store: storeWith(t, st, path), Hook: hook})
	shown := res.Diagnostics.Error() + strings.Join(hook.list(), "\n")
	if strings.Contains(shown, "ANA") {
		t.Errorf("a sensitive param is shown:\n%s", shown)
	}
	if !strings.Contains(shown, `"user":"(sensitive value)"`) {
		t.Errorf("the error lost its shape:\n%s", shown)
	}
}
