package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// testChange is the change of instance key (and sample) of step with
// the given action.
func testChange(step string, key, sample int, action planner.Action) *planner.Change {
	a := addrs.StepInstance{Step: addrs.Step{Name: step}, Key: cty.NumberIntVal(int64(key)), Sample: sample}
	return &planner.Change{Address: a.String(), Addr: a, Action: action}
}

// testPlan is a plan of n instances of step.a that call and k kept ones.
func testPlan(run, kept int) *planner.Plan {
	p := &planner.Plan{Config: &config.Config{Outputs: map[string]*config.Output{}}}
	for i := range run + kept {
		action := planner.Run
		if i >= run {
			action = planner.Keep
		}
		p.Changes = append(p.Changes, testChange("a", i, 0, action))
	}
	return p
}

// answer is a record answered by model with the given assert scores; it
// has no price.
func answer(model string, asserts ...state.Assert) *state.Step {
	return &state.Step{Model: model, Usage: state.Usage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15}, Asserts: asserts}
}

// pricedAnswer is an answer that cost usd.
func pricedAnswer(model string, usd float64, asserts ...state.Assert) *state.Step {
	rec := answer(model, asserts...)
	rec.Cost = &state.Cost{USD: usd, Price: state.Price{Input: 1, Output: 5, Source: "catalog (global)"}}
	return rec
}

var (
	passed = state.Assert{Name: "correct", Passed: true}
	failed = state.Assert{Name: "correct", Message: "wrong"}
)

func TestTallySummary(t *testing.T) {
	t.Parallel()
	p := testPlan(6, 3)
	p.Changes = append(p.Changes, testChange("b", 0, 0, planner.Run), testChange("b", 0, 1, planner.Run),
		testChange("gone", 0, 0, planner.Drop))
	tl := newTally(p)
	h := countingHook{executor.NopHook{}, tl}
	h.StepFinished("step.a[0]", pricedAnswer("m1", 0.001, passed), false, time.Second)
	h.StepFinished("step.a[1]", pricedAnswer("m1", 0.002, failed), false, time.Second)
	h.StepFinished("step.a[2]", answer("m2", passed), false, time.Second)
	h.StepFailed("step.a[3]", answer("m2"), errors.New("postcondition failed")) // paid for: its tokens count
	h.StepSkipped("step.a[4]", "interrupted")
	h.StepUnrecorded("step.a[5]", answer("m2"), errors.New("disk full"))
	for i := 6; i < 9; i++ { // re-used answers count in the rates, not in the tokens or the cost
		h.StepFinished(fmt.Sprintf("step.a[%d]", i), pricedAnswer("m1", 1, passed), true, 0)
	}
	h.StepStarted("step.b[0]", "m1")
	h.StepFinished("step.b[0]", pricedAnswer("m1", 0.004), false, time.Second)
	h.StepStarted("step.b[0]#1", "m1")
	h.StepSkipped("step.c", "upstream failed") // a step the plan has no instance of

	got := tl.summary(90 * time.Second)
	want := applySummary{
		Steps: []stepSummary{
			{Step: "step.a", Run: 3, Reused: 3, Failed: 1, Skipped: 1, Unrecorded: 1,
				Asserts: []assertSummary{{Name: "correct", Passed: 5, Total: 6}}},
			{Step: "step.b", Run: 1, Asserts: []assertSummary{}},
			{Step: "step.c", Skipped: 1, Asserts: []assertSummary{}},
		},
		Models: []modelUsage{
			{Model: "m1", Usage: state.Usage{InputTokens: 30, OutputTokens: 15, TotalTokens: 45}, Spend: spend{USD: 0.007, Priced: 3}},
			{Model: "m2", Usage: state.Usage{InputTokens: 30, OutputTokens: 15, TotalTokens: 45}, Spend: spend{Unpriced: 3}},
		},
		Spend:  spend{USD: 0.007, Priced: 3, Unpriced: 3},
		Reused: 3,
		Wall:   90 * time.Second,
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(closeUSD)); diff != "" {
		t.Errorf("wrong summary (-want +got):\n%s", diff)
	}
	snap := tl.snapshot()
	wantSnap := snapshot{done: 6, total: 8, running: 1, failed: 2, skipped: 1, assertFailures: 1, tokens: 90}
	if snap != wantSnap {
		t.Errorf("wrong snapshot\ngot:  %+v\nwant: %+v", snap, wantSnap)
	}
}

func TestWriteSummary(t *testing.T) {
	t.Parallel()
	sum := applySummary{
		Steps: []stepSummary{
			{Step: "step.answer", Run: 20, Reused: 1980, Asserts: []assertSummary{}},
			{Step: "step.grade", Run: 20, Reused: 1980, Failed: 1, Unrecorded: 1, Skipped: 3,
				Asserts: []assertSummary{{Name: "correct", Passed: 27, Total: 30}, {Name: "concise", Passed: 1999, Total: 2000}}},
		},
		Models: []modelUsage{
			{Model: "claude-haiku", Usage: state.Usage{InputTokens: 1234567, OutputTokens: 89}, Spend: spend{USD: 1.358469, Priced: 20}},
			{Model: "fail-500", Usage: state.Usage{InputTokens: 10, OutputTokens: 1}, Spend: spend{Unpriced: 1}},
			{Model: "gpt-5-mini", Usage: state.Usage{InputTokens: 2000, OutputTokens: 100}, Spend: spend{USD: 0.0007, Priced: 20}},
		},
		Spend: spend{USD: 1.359169, Priced: 40, Unpriced: 1},
		Wall:  80*time.Second + 400*time.Millisecond,
	}
	var buf bytes.Buffer
	writeSummary(&buf, painter{}, sum)
	want := `
Step         Run  Reused  Failed  Skipped
step.answer   20   1,980       0        0
step.grade    20   1,980       2        3

Step        Assert        Passed    Rate
step.grade  correct        27/30   90.0%
step.grade  concise  1,999/2,000  100.0%

Model         Input tokens  Output tokens                Cost
claude-haiku     1,234,567             89               $1.36
fail-500                10              1            unpriced
gpt-5-mini           2,000            100             $0.0007
Total            1,236,577            190  $1.36 + 1 unpriced

Wall time: 1m20s.
`
	if got := buf.String(); got != want {
		t.Errorf("wrong summary\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestWallTime(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		312400 * time.Microsecond: "312ms",
		12345 * time.Millisecond:  "12.3s",
		80400 * time.Millisecond:  "1m20s",
		3*time.Hour + time.Second: "3h0m1s",
	} {
		if got := wallTime(d); got != want {
			t.Errorf("wallTime(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestApplyHumanReused checks that re-used instances are one line in all,
// however many there are, and that the summary follows the result line.
func TestApplyHumanReused(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	v := newApplyView(false, &viewBase{stdout: &stdout, stderr: &stderr}).(applyHuman)
	v.run.clock = &fakeClock{ticks: make(chan time.Time)}
	p := testPlan(20, 1980)
	v.run.planned(p)
	h := v.hook()
	for _, c := range p.Changes {
		if c.Action == planner.Keep {
			h.StepFinished(c.Address, answer("m", passed), true, 0)
			continue
		}
		h.StepStarted(c.Address, "m")
		h.StepFinished(c.Address, answer("m", failed), false, time.Millisecond)
	}
	v.result(p, &executor.Result{Called: 20, Reused: 1980})

	out := stderr.String()
	if n := strings.Count(out, "re-used"); n != 1 {
		t.Errorf("%d lines say re-used, want 1:\n%s", n, out)
	}
	if strings.Contains(out, "step.a[20]:") {
		t.Errorf("a re-used instance has a line of its own:\n%s", out)
	}
	for _, want := range []string{
		"1,980 unchanged responses re-used.\n\nApply complete! 20 called, 1,980 reused, 0 failed, 0 skipped.\n",
		"\nstep.a   20   1,980       0        0\n",
		"\nstep.a  correct  1,980/2,000  99.0%\n",
		"\nm               200            100  unpriced\nTotal           200            100  unpriced\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout has more than outputs:\n%s", stdout.String())
	}
}

// TestApplyJSONEvents checks the events an apply adds: assert_result per
// assert of each answer of this run, and apply_summary before outputs,
// after the version event and the existing ones.
func TestApplyJSONEvents(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	v := newApplyView(true, &viewBase{stdout: &stdout, stderr: &bytes.Buffer{}})
	p := testPlan(2, 1)
	p.Changes = append(p.Changes, testChange("a", 0, 1, planner.Run))
	v.plan(p)
	h := v.hook()
	h.StepFinished("step.a[0]", pricedAnswer("m", 0.00125, passed, state.Assert{Name: "short", Message: "too long"}), false, time.Millisecond)
	rec := answer("m", failed)
	rec.Sample = 1
	h.StepFinished("step.a[0]#1", rec, false, time.Millisecond)
	h.StepFinished("step.a[2]", answer("m", failed), true, 0) // re-used: reported too, marked
	h.StepFailed("step.a[1]", nil, errors.New("boom"))
	v.result(p, &executor.Result{Called: 2, Reused: 1, Failed: 1})

	var types []string
	var asserts []map[string]any
	var summary map[string]any
	var costs []any
	for line := range strings.Lines(stdout.String()) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		typ := ev["type"].(string)
		switch typ {
		case "assert_result":
			asserts = append(asserts, ev)
		case "apply_summary":
			summary = ev
		case "step_finished":
			costs = append(costs, ev["cost_usd"])
			continue
		case "planned_step":
			continue
		}
		types = append(types, typ)
	}
	wantTypes := []string{"version", "summary", "assert_result", "assert_result", "assert_result", "assert_result", "step_failed",
		"apply_complete", "apply_summary", "outputs"}
	if !cmp.Equal(types, wantTypes) {
		t.Errorf("wrong events\ngot:  %v\nwant: %v", types, wantTypes)
	}
	wantAsserts := []map[string]any{
		{"type": "assert_result", "address": "step.a[0]", "step": "step.a", "sample": 0.0, "assert": "correct", "passed": true, "message": "", "reused": false},
		{"type": "assert_result", "address": "step.a[0]", "step": "step.a", "sample": 0.0, "assert": "short", "passed": false, "message": "too long", "reused": false},
		{"type": "assert_result", "address": "step.a[0]#1", "step": "step.a", "sample": 1.0, "assert": "correct", "passed": false, "message": "wrong", "reused": false},
		{"type": "assert_result", "address": "step.a[2]", "step": "step.a", "sample": 0.0, "assert": "correct", "passed": false, "message": "wrong", "reused": true},
	}
	if diff := cmp.Diff(wantAsserts, asserts); diff != "" {
		t.Errorf("wrong assert_result events (-want +got):\n%s", diff)
	}
	delete(summary, "wall_time_seconds")
	wantSummary := map[string]any{
		"type": "apply_summary", "reused": 1.0,
		"steps": []any{map[string]any{
			"step": "step.a", "run": 2.0, "reused": 1.0, "failed": 1.0, "skipped": 0.0, "unrecorded": 0.0,
			"asserts": []any{
				map[string]any{"name": "correct", "passed": 1.0, "total": 3.0, "rate": 0.3333},
				map[string]any{"name": "short", "passed": 0.0, "total": 1.0, "rate": 0.0},
			},
		}},
		"models": []any{map[string]any{"model": "m", "input_tokens": 20.0, "output_tokens": 10.0, "total_tokens": 30.0,
			"cost_usd": 0.00125, "unpriced_instances": 1.0}},
		"cost_usd": 0.00125,
	}
	if diff := cmp.Diff(wantSummary, summary); diff != "" {
		t.Errorf("wrong apply_summary (-want +got):\n%s", diff)
	}
	// priced; unpriced; re-used: nothing spent now
	if want := []any{0.00125, nil, 0.0}; !cmp.Equal(costs, want) {
		t.Errorf("wrong step_finished costs\ngot:  %v\nwant: %v", costs, want)
	}
}

// closeUSD compares amounts to a billionth of a cent: sums of floats may
// round differently.
func closeUSD(a, b float64) bool { return math.Abs(a-b) < 1e-11 }
