package executor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// fakeClient answers every request with "re: <last message>" unless the
// model id is in fail; it records the order of calls and the most calls
// that were in flight at once.
type fakeClient struct {
	mu       sync.Mutex
	calls    []string // last message text of each call, in order
	inFlight int
	maxSeen  int
	fail     map[string]error
	block    chan struct{} // when set, every call waits for it
	started  chan string   // when set, receives each call's text as it starts
}

func (f *fakeClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	text := req.Messages[len(req.Messages)-1].Content.String()
	f.mu.Lock()
	f.calls = append(f.calls, text)
	f.inFlight++
	f.maxSeen = max(f.maxSeen, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.started != nil {
		f.started <- text
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err := f.fail[req.Model]; err != nil {
		return nil, err
	}
	return &gateway.Response{
		Model:   req.Model,
		Choices: []gateway.Choice{{Message: gateway.Message{Role: "assistant", Content: gateway.TextContent("re: " + text)}, FinishReason: "stop"}},
		Usage:   &gateway.Usage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5},
	}, nil
}

func (f *fakeClient) ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error) {
	return nil, errors.New("fakeClient does not stream")
}

func (f *fakeClient) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// setup writes src as a configuration and plans it against st.
func setup(t *testing.T, src string, st *state.State) (*planner.Plan, string) {
	t.Helper()
	cfg, vars := loadSrc(t, src)
	plan, diags := planner.Build(cfg, planner.Options{Vars: vars, State: st})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	return plan, state.Path(cfg.Dir)
}

func runWith(t *testing.T, plan *planner.Plan, st *state.State, path string, c ChatClient, par int) *Result {
	t.Helper()
	return Run(context.Background(), plan, Options{
		Parallelism: par,
		Client:      func(*planner.Model) ChatClient { return c },
		Store:       storeWith(t, st, path),
	})
}

// storeWith opens a store at path holding what st holds.
func storeWith(t *testing.T, st *state.State, path string) *state.Store {
	t.Helper()
	if len(st.Steps) > 0 {
		if err := st.Save(path); err != nil {
			t.Fatal(err)
		}
	}
	store, _, err := state.OpenUnlocked(filepath.Dir(filepath.Dir(path))) // path is state.Path(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

const fanOut = `
model "m" { id = "m1" }
model "bad" { id = "broken" }
step "root" {
  model  = model.m
  prompt = "root"
}
step "left" {
  model  = model.m
  prompt = "left of ${step.root.output}"
}
step "right" {
  model  = model.m
  prompt = "right of ${step.root.output}"
}
step "join" {
  model  = model.m
  prompt = "join ${step.left.output} + ${step.right.output}"
}
output "final" { value = step.join.output }
`

func TestRunFansOutAndJoins(t *testing.T) {
	t.Parallel()
	st := state.New()
	plan, path := setup(t, fanOut, st)
	fc := &fakeClient{}
	res := runWith(t, plan, st, path, fc, 1)
	if res.Diagnostics.HasErrors() {
		t.Fatalf("unexpected diagnostics: %s", res.Diagnostics.Error())
	}
	want := []string{"root", "left of re: root", "right of re: root", "join re: left of re: root + re: right of re: root"}
	if got := fc.callList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("wrong calls\ngot:  %q\nwant: %q", got, want)
	}
	if got := res.Outputs["final"].AsString(); got != "re: "+want[3] {
		t.Errorf("wrong output\ngot:  %q\nwant: %q", got, "re: "+want[3])
	}
	if res.Called != 4 || res.Reused != 0 {
		t.Errorf("got %d called, %d reused; want 4, 0", res.Called, res.Reused)
	}

	// The state on disk has every step; a second run calls nothing.
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Addresses(); strings.Join(got, ",") != "step.join,step.left,step.right,step.root" {
		t.Fatalf("wrong recorded steps: %v", got)
	}
	plan2, _ := setup(t, fanOut, saved)
	if plan2.HasChanges() {
		t.Fatalf("second plan has changes")
	}
	fc2 := &fakeClient{}
	res2 := runWith(t, plan2, saved, path, fc2, 4)
	if n := len(fc2.callList()); n != 0 || res2.Reused != 4 {
		t.Errorf("second run: %d calls, %d reused; want 0, 4", n, res2.Reused)
	}
	if got := res2.Outputs["final"].AsString(); got != "re: "+want[3] {
		t.Errorf("second run output %q, want %q", got, "re: "+want[3])
	}
}

func TestRunFailureSkipsDependentsOnly(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
model "bad" { id = "broken" }
step "a" {
  model  = model.bad
  prompt = "a"
}
step "b" {
  model  = model.m
  prompt = "b after ${step.a.output}"
}
step "c" {
  model  = model.m
  prompt = "c after ${step.b.output}"
}
step "other" {
  model  = model.m
  prompt = "independent"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	fc := &fakeClient{fail: map[string]error{"broken": errors.New("gateway: 500 Internal Server Error: boom")}}
	res := runWith(t, plan, st, path, fc, 2)
	if len(res.Diagnostics) != 1 {
		t.Fatalf("want exactly one diagnostic (the root cause), got %d: %s", len(res.Diagnostics), res.Diagnostics.Error())
	}
	if d := res.Diagnostics[0]; !strings.Contains(d.Detail, "step.a") || !strings.Contains(d.Detail, "boom") {
		t.Errorf("diagnostic does not name the step and the error: %s", d.Detail)
	}
	if res.Failed != 1 || res.Skipped != 2 || res.Called != 1 {
		t.Errorf("got failed=%d skipped=%d called=%d; want 1, 2, 1", res.Failed, res.Skipped, res.Called)
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := saved.Addresses(); len(got) != 1 || got[0] != "step.other" {
		t.Errorf("recorded %v, want only step.other", got)
	}
}

func TestRunBoundsParallelism(t *testing.T) {
	t.Parallel()
	var src strings.Builder
	src.WriteString(`model "m" { id = "m1" }` + "\n")
	src.WriteString(`step "s" {
  for_each = toset([for i in range(12) : tostring(i)])
  model    = model.m
  prompt   = "item ${each.key}"
}
`)
	st := state.New()
	plan, path := setup(t, src.String(), st)
	fc := &fakeClient{}
	res := runWith(t, plan, st, path, fc, 3)
	if res.Diagnostics.HasErrors() {
		t.Fatal(res.Diagnostics.Error())
	}
	if fc.maxSeen > 3 {
		t.Errorf("%d calls were in flight at once; the bound is 3", fc.maxSeen)
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if res.Called != 12 || len(saved.Steps) != 12 {
		t.Errorf("called %d, recorded %d; want 12 each", res.Called, len(saved.Steps))
	}
	if _, ok := saved.Steps[`step.s["7"]`]; !ok {
		t.Errorf("instance step.s[\"7\"] not recorded; have %v", saved.Addresses())
	}
}

func TestRunInterruptStopsNewCalls(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
step "first" {
  model  = model.m
  prompt = "first"
}
step "second" {
  model  = model.m
  prompt = "second ${step.first.output}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	fc := &fakeClient{block: make(chan struct{}), started: make(chan string, 4)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Result)
	go func() {
		done <- Run(ctx, plan, Options{Parallelism: 2, Client: func(*planner.Model) ChatClient { return fc }, Store: storeWith(t, st, path), CallContext: context.Background()})
	}()
	<-fc.started // step.first is in flight
	cancel()     // stop scheduling; the call in flight may finish
	close(fc.block)
	res := <-done
	if !res.Interrupted {
		t.Errorf("result not marked interrupted")
	}
	if got := fc.callList(); len(got) != 1 {
		t.Errorf("calls after the interrupt: %q", got)
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := saved.Steps["step.first"]; !ok || len(saved.Steps) != 1 {
		t.Errorf("state should hold the finished call only, has %v", saved.Addresses())
	}
}

func TestRunStopsWhenStateCannotBeSaved(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
step "s" {
  count  = 6
  model  = model.m
  prompt = "n ${count.index}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	store := storeWith(t, st, path)
	// The state directory turns into a file: no answer can be recorded.
	if err := os.WriteFile(filepath.Dir(path), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fc := &fakeClient{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Client: func(*planner.Model) ChatClient { return fc }, Store: store})
	if !res.Unsaved || !res.Diagnostics.HasErrors() {
		t.Fatalf("unsaved=%v diagnostics=%s; want a save failure reported", res.Unsaved, res.Diagnostics.Error())
	}
	if n := len(fc.callList()); n != 1 {
		t.Errorf("%d calls were made; after the first answer could not be saved none should start", n)
	}
	if res.Skipped != 5 {
		t.Errorf("skipped %d, want the 5 instances that never started", res.Skipped)
	}
}

func TestRunStopsAtTheFirstAuthError(t *testing.T) {
	t.Parallel()
	src := `
model "m" { id = "m1" }
step "s" {
  count  = 5
  model  = model.m
  prompt = "n ${count.index}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	fc := &fakeClient{fail: map[string]error{"m1": &gateway.APIError{StatusCode: 401, Message: "Authentication error"}}}
	res := runWith(t, plan, st, path, fc, 1)
	if n := len(fc.callList()); n != 1 {
		t.Errorf("%d calls; the first 401 should stop the run", n)
	}
	if res.Halted == "" || res.Skipped != 4 || res.Failed != 1 {
		t.Errorf("halted=%q skipped=%d failed=%d; want a reason, 4, 1", res.Halted, res.Skipped, res.Failed)
	}
	if len(res.Diagnostics) != 1 {
		t.Errorf("want the one root-cause diagnostic, got %s", res.Diagnostics.Error())
	}
}
