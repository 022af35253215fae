package executor

import (
	"context"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// TestModelPerInstanceLimits checks that the instances of one step whose
// model varies are each sent to, and paced by, their own model: the
// max_concurrency of one model holds back only its instances.
func TestModelPerInstanceLimits(t *testing.T) {
	t.Parallel()
	src := `
model "one" {
  id              = "one"
  max_concurrency = 1
}
model "many" { id = "many" }
locals {
  models = [model.one, model.many]
}
step "s" {
  for_each = { for i in range(12) : tostring(i) => local.models[i % 2] }
  model    = each.value
  prompt   = "n ${each.key}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	tc := newTimedClient(5 * time.Millisecond)
	res := runWith(t, plan, st, path, tc, 10)
	if res.Called != 12 {
		t.Fatalf("called %d, want 12: %s", res.Called, res.Diagnostics.Error())
	}
	if n, m := len(tc.starts["one"]), len(tc.starts["many"]); n != 6 || m != 6 {
		t.Errorf("model one got %d calls and model many %d; want 6 each", n, m)
	}
	if got := tc.maxSeen["one"]; got > 1 {
		t.Errorf("%d calls to model one were in flight at once; its max_concurrency is 1", got)
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{`step.s["0"]`: "one", `step.s["1"]`: "many", `step.s["10"]`: "one", `step.s["11"]`: "many"} {
		if rec := saved.Steps[addr]; rec == nil || rec.Model != want {
			t.Errorf("%s recorded as answered by %v; want %s", addr, rec, want)
		}
	}
}

// TestModelPerInstanceFallback checks that an instance whose model
// expression yields a client-mode chain walks that chain, while its
// sibling on a plain model is sent to it alone.
func TestModelPerInstanceFallback(t *testing.T) {
	t.Parallel()
	src := `
model "dead" { id = "dead-1" }
model "backup" { id = "backup-1" }
fallback "chain" {
  models = [model.dead, model.backup]
  mode   = "client"
}
step "s" {
  for_each = { chained = fallback.chain, plain = model.dead }
  model    = each.value
  prompt   = each.key
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	fc := &fakeClient{fail: map[string]error{"dead-1": &gateway.APIError{StatusCode: 503, Message: "down"}}}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Store: storeWith(t, st, path),
		Client: func(*planner.Model) ChatClient { return fc }})
	if res.Called != 1 || res.Failed != 1 {
		t.Fatalf("called %d, failed %d; want 1 and 1: %s", res.Called, res.Failed, res.Diagnostics.Error())
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec := saved.Steps[`step.s["chained"]`]; rec == nil || rec.Model != "backup-1" || len(rec.ModelAttempts) != 2 {
		t.Errorf("the chained instance recorded %+v; want backup-1 after a failed dead-1", rec)
	}
	if rec := saved.Steps[`step.s["plain"]`]; rec != nil {
		t.Errorf("the plain instance on the dead model was recorded: %+v", rec)
	}
}
