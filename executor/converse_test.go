package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// scriptedClient answers with its responses in order, then with "done";
// it keeps every request. A response without a model leaves it empty, as
// some servers do.
type scriptedClient struct {
	fakeClient
	mu        sync.Mutex
	responses []*gateway.Response
	requests  []*gateway.Request
}

func (c *scriptedClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, req)
	if len(c.responses) == 0 {
		return textAnswer("done"), nil
	}
	resp := c.responses[0]
	c.responses = c.responses[1:]
	return resp, nil
}

func textAnswer(text string) *gateway.Response {
	return &gateway.Response{
		Choices: []gateway.Choice{{Message: gateway.Message{Role: "assistant", Content: gateway.TextContent(text)}, FinishReason: "stop"}},
		Usage:   &gateway.Usage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2},
	}
}

// callsAnswer is an answer that calls tools, each "name(arguments)".
func callsAnswer(requestID string, calls ...string) *gateway.Response {
	var tcs []gateway.ToolCall
	for i, c := range calls {
		name, args, _ := strings.Cut(strings.TrimSuffix(c, ")"), "(")
		tcs = append(tcs, gateway.ToolCall{ID: requestID + "-" + string(rune('a'+i)), Type: "function",
			Function: gateway.FunctionCall{Name: name, Arguments: args}})
	}
	return &gateway.Response{
		RequestID: requestID,
		Choices:   []gateway.Choice{{Message: gateway.Message{Role: "assistant", ToolCalls: tcs}, FinishReason: "tool_use"}},
		Usage:     &gateway.Usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15},
	}
}

const toolSteps = `
tool "lookup" {
  description = "Look a term up."
  type        = object({ term = string })
  command     = ["sh", "-c", "cat >> calls.log; echo >> calls.log; echo found"]
}
tool "locate" {
  description = "Report a city."
  type        = object({ city = string })
}
model "m" { id = "m1" }
step "s" {
  model           = model.m
  prompt          = "go"
  tools           = [tool.lookup, tool.locate]
  max_tool_rounds = 3
}
`

func runScripted(t *testing.T, src string, responses ...*gateway.Response) (*Result, *scriptedClient, *eventHook, string) {
	t.Helper()
	st := state.New()
	plan, path := setup(t, src, st)
	sc := &scriptedClient{responses: responses}
	hook := &eventHook{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Client: func(*planner.Model) ChatClient { return sc },
		Store: storeWith(t, st, path), Hook: hook})
	return res, sc, hook, plan.Config.Dir
}

func TestToolCallsAreCheckedBeforeTheyRun(t *testing.T) {
	t.Parallel()
	res, sc, hook, dir := runScripted(t, toolSteps,
		callsAnswer("r1", `rm_rf({})`, `lookup({"term": 42})`, `lookup({"term": "x", "extra": 1})`, `lookup({"term": `, `lookup({"term": "ok"})`),
	)
	if res.Called != 1 || res.Failed != 0 {
		t.Fatalf("called %d, failed %d: %s", res.Called, res.Failed, res.Diagnostics.Error())
	}
	log, _ := os.ReadFile(filepath.Join(dir, "calls.log"))
	if string(log) != `{"term": "ok"}`+"\n" {
		t.Errorf("the tool ran with %q; only the valid call may run", log)
	}
	if len(sc.requests) != 2 {
		t.Fatalf("%d requests, want 2", len(sc.requests))
	}
	var replies []string
	for _, m := range sc.requests[1].Messages {
		if m.Role == "tool" {
			replies = append(replies, m.ToolCallID+": "+m.Content.String())
		}
	}
	want := []string{
		`r1-a: error: the call was not run: the step offers no tool named "rm_rf"; it offers lookup, locate`,
		`r1-b: error: the call was not run: the arguments of tool "lookup" do not match its parameters: at /term: got number, want string`,
		`r1-c: error: the call was not run: the arguments of tool "lookup" do not match its parameters: at the top level: additional properties 'extra' not allowed`,
		`r1-d: error: the call was not run: the arguments of tool "lookup" are not valid JSON: unexpected EOF`,
		`r1-e: found` + "\n",
	}
	if strings.Join(replies, "|") != strings.Join(want, "|") {
		t.Errorf("tool replies\ngot:  %q\nwant: %q", replies, want)
	}
	if n := strings.Count(strings.Join(hook.list(), "\n"), "the call was not run"); n != 4 {
		t.Errorf("%d rejected calls reported; want 4: %q", n, hook.list())
	}
}

func TestToolCallWithoutCommandEndsTheStepOnlyWhenValid(t *testing.T) {
	t.Parallel()
	// An invalid extraction is sent back; the valid one ends the step.
	res, sc, _, _ := runScripted(t, toolSteps,
		callsAnswer("r1", `locate({"town": "Paris"})`),
		callsAnswer("r2", `locate({"city": "Paris"})`),
	)
	if res.Called != 1 || len(sc.requests) != 2 {
		t.Fatalf("called %d after %d requests: %s", res.Called, len(sc.requests), res.Diagnostics.Error())
	}
	if got := sc.requests[1].Messages[len(sc.requests[1].Messages)-1].Content.String(); !strings.Contains(got, "additional properties 'town' not allowed") {
		t.Errorf("the model was told %q", got)
	}
}

func TestMaxToolRoundsFailureIsRecorded(t *testing.T) {
	t.Parallel()
	res, sc, _, dir := runScripted(t, toolSteps,
		callsAnswer("r1", `lookup({"term": "a"})`),
		callsAnswer("r2", `nope({})`),
		callsAnswer("r3", `lookup({"term": "c"})`),
		callsAnswer("r4", `lookup({"term": "d"})`),
	)
	if res.Called != 1 || res.Failed != 1 || len(sc.requests) != 4 {
		t.Fatalf("called %d, failed %d, %d requests; want 1, 1, 4", res.Called, res.Failed, len(sc.requests))
	}
	if !strings.Contains(res.Diagnostics.Error(), "step.s: the model kept calling tools after 3 rounds") {
		t.Errorf("diagnostics do not say why the step failed: %s", res.Diagnostics.Error())
	}
	saved, err := state.Load(state.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	rec := saved.Steps["step.s"]
	if rec == nil {
		t.Fatal("the failed step is not recorded")
	}
	if !strings.Contains(rec.Failed, "after 3 rounds (max_tool_rounds)") || len(rec.Rounds) != 3 ||
		rec.Usage.TotalTokens != 60 || rec.RequestID != "r4" || rec.Attempts != 4 || rec.Model != "m1" {
		t.Errorf("recorded failed=%q rounds=%d usage=%+v request id=%q attempts=%d model=%q; want max_tool_rounds, 3, 60 tokens, r4, 4, m1",
			rec.Failed, len(rec.Rounds), rec.Usage, rec.RequestID, rec.Attempts, rec.Model)
	}
	if got := rec.Rounds[1].Results[0].Error; !strings.Contains(got, `no tool named "nope"`) {
		t.Errorf("the invalid call of round 2 is recorded with error %q", got)
	}
	plan, _ := setup(t, toolSteps, saved)
	if c := plan.Changes[0]; c.Action != planner.Rerun {
		t.Errorf("the next plan says %s for the failed step; want a rerun", c.Action)
	}
}

func TestSchemaStepNeedsAValidAnswerDespiteToolCalls(t *testing.T) {
	t.Parallel()
	src := `
schema "ticket" {
  type = object({ title = string })
}
model "m" { id = "m1" }
step "s" {
  model           = model.m
  prompt          = "triage"
  schema          = schema.ticket
  max_tool_rounds = 1
}
`
	// A stray call goes back to the model, whose next answer is checked.
	res, sc, _, _ := runScripted(t, src, callsAnswer("r1", `ticket({"title": "x"})`), textAnswer(`{"title": 3}`))
	if res.Called != 1 || res.Failed != 1 || len(sc.requests) != 2 {
		t.Fatalf("called %d, failed %d, %d requests; want a recorded schema failure after 2 requests", res.Called, res.Failed, len(sc.requests))
	}
	if d := res.Diagnostics.Error(); !strings.Contains(d, "at /title: got number, want string") || !strings.Contains(d, `model "m1"`) {
		t.Errorf("diagnostics do not give the schema problem and the model asked: %s", d)
	}
	// Calls all the way: a failure, never a success with a null result.
	res, _, _, _ = runScripted(t, src, callsAnswer("r1", `ticket({})`), callsAnswer("r2", `ticket({})`))
	if res.Called != 1 || res.Failed != 1 || !strings.Contains(res.Diagnostics.Error(), "max_tool_rounds") {
		t.Errorf("called %d, failed %d: %s; want a recorded max_tool_rounds failure", res.Called, res.Failed, res.Diagnostics.Error())
	}
}

func TestRunReportsAnswersThatCannotBeRecorded(t *testing.T) {
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
	store := storeWith(t, st, path)
	fc := &fakeClient{block: make(chan struct{}), started: make(chan string, 5)}
	hook := &eventHook{}
	done := make(chan *Result)
	go func() {
		done <- Run(context.Background(), plan, Options{Parallelism: 3, Client: func(*planner.Model) ChatClient { return fc }, Store: store, Hook: hook})
	}()
	for range 3 {
		<-fc.started
	}
	// Three calls are in flight when the state directory turns into a file.
	if err := os.WriteFile(filepath.Dir(path), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	close(fc.block)
	res := <-done
	if res.Called != 0 || res.Unrecorded != 3 || res.Skipped != 2 || res.Failed != 0 || !res.Unsaved {
		t.Errorf("called %d, unrecorded %d, skipped %d, failed %d, unsaved %v; want 0, 3, 2, 0, true",
			res.Called, res.Unrecorded, res.Skipped, res.Failed, res.Unsaved)
	}
	events := strings.Join(hook.list(), "\n")
	if n := strings.Count(events, "unrecorded step.s["); n != 3 || strings.Contains(events, "finished") {
		t.Errorf("want 3 unrecorded events and none finished:\n%s", events)
	}
}

func TestClientFallbackRecordsTheModelThatAnswered(t *testing.T) {
	t.Parallel()
	src := clientFallback
	st := state.New()
	plan, path := setup(t, src, st)
	dead := &fakeClient{fail: map[string]error{"dead-1": &gateway.APIError{StatusCode: 503, Message: "down"}}}
	backup := &scriptedClient{} // answers without naming its model
	res := Run(context.Background(), plan, Options{Parallelism: 1, Store: storeWith(t, st, path),
		Client: func(m *planner.Model) ChatClient {
			if m.ID == "dead-1" {
				return dead
			}
			return backup
		}})
	if res.Called != 1 {
		t.Fatalf("called %d: %s", res.Called, res.Diagnostics.Error())
	}
	saved, err := state.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := saved.Steps["step.s"]
	if rec.Model != "backup-1" || len(rec.ModelAttempts) != 2 || !strings.Contains(rec.ModelAttempts[0].Error, "503") {
		t.Errorf("recorded model %q, attempts %+v; want backup-1 after a failed dead-1", rec.Model, rec.ModelAttempts)
	}
}

func TestForcedToolChoiceHoldsUntilAValidCall(t *testing.T) {
	t.Parallel()
	src := strings.Replace(toolSteps, `max_tool_rounds = 3`, "max_tool_rounds = 3\n  tool_choice     = tool.lookup", 1)
	_, sc, _, _ := runScripted(t, src,
		callsAnswer("r1", `lookup({"term": 1})`),
		callsAnswer("r2", `lookup({"term": "ok"})`),
	)
	var choices []string
	for _, req := range sc.requests {
		choices = append(choices, req.ToolChoice.Mode+req.ToolChoice.Function)
	}
	if want := []string{"lookup", "lookup", "auto"}; strings.Join(choices, ",") != strings.Join(want, ",") {
		t.Errorf("tool_choice of each request %q, want %q: an invalid call does not answer the forced one", choices, want)
	}
}
