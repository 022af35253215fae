package planner

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// TestParallelPlanMatchesSerial plans the same steps with their instances
// planned one after the other and on every processor at once: the changes,
// their order and the diagnostics are the same.
func TestParallelPlanMatchesSerial(t *testing.T) {
	// Not parallel: it sets parallelFrom, which parallel tests read only
	// once every sequential test has returned.
	src := limitsModel + `
variable "bad" {
  type    = number
  default = 7
}
step "a" {
  count  = 600
  model  = model.m
  prompt = "item ${count.index}"
}
step "b" {
  for_each = { for i in range(400) : "k${i}" => i }
  model    = model.m
  prompt   = "${each.key} after ${step.a[each.value].output}"
}
step "c" {
  count  = 300
  model  = model.m
  prompt = count.index == var.bad ? file("missing.txt") : "c ${count.index}"
}
`
	cfg := loadSrc(t, src, nil)
	st := state.New()
	for i := range 600 {
		if i%3 == 0 {
			continue // some recorded, some not
		}
		addr := fmt.Sprintf("step.a[%d]", i)
		req := json.RawMessage(fmt.Sprintf(`{"messages":[{"content":"item %d","role":"user"}],"model":"m1"}`, i))
		st.Steps[addr] = &state.Step{Address: addr, Name: "a", Key: json.RawMessage(fmt.Sprint(i)), RequestHash: "sha256:other", Request: req,
			Output: fmt.Sprint("answer ", i), ToolCalls: []state.ToolCall{}}
	}
	plan := func(from int, bad int64) (string, string) {
		defer func(old int) { parallelFrom = old }(parallelFrom)
		parallelFrom = from
		p, diags := Build(cfg, Options{State: st, Offline: true, Vars: map[string]cty.Value{"bad": cty.NumberIntVal(bad)}})
		var changes string
		if p != nil {
			for _, c := range p.Changes {
				changes += fmt.Sprintf("%s %v %s %s\n", c.Address, c.Action, c.Reason, c.Hash)
			}
		}
		return changes, diagsText(diags)
	}
	serialChanges, _ := plan(1<<30, -1)
	parallelChanges, _ := plan(2, -1)
	if len(serialChanges) == 0 {
		t.Fatal("the serial plan has no changes")
	}
	if diff := cmp.Diff(serialChanges, parallelChanges); diff != "" {
		t.Errorf("changes differ (-serial +parallel):\n%s", diff)
	}
	_, serialDiags := plan(1<<30, 7)
	_, parallelDiags := plan(2, 7)
	if serialDiags == "" {
		t.Fatal("the configuration was meant to give an error for step.c[7]")
	}
	if serialDiags != parallelDiags {
		t.Errorf("diagnostics differ:\nserial:\n%s\nparallel:\n%s", serialDiags, parallelDiags)
	}
}
