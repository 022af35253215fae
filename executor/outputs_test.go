package executor

import (
	"encoding/json"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

func recorded(value string, sensitive bool) *state.Output {
	return &state.Output{Value: json.RawMessage(`"` + value + `"`), Type: json.RawMessage(`"string"`), Sensitive: sensitive}
}

func TestOutputsToRecord(t *testing.T) {
	t.Parallel()
	plan := &planner.Plan{Config: &config.Config{Outputs: map[string]*config.Output{
		"evaluated": {Name: "evaluated"},
		"same":      {Name: "same"},
		"skipped":   {Name: "skipped"},
		"secret":    {Name: "secret", Sensitive: true},
		"failed":    {Name: "failed"},
		"new":       {Name: "new"},
	}}}
	st := &state.State{Outputs: map[string]*state.Output{
		"evaluated": recorded("old", false),
		"same":      recorded("same", false),
		"skipped":   recorded("kept", false),
		"secret":    recorded("kept", false),
		"failed":    recorded("kept", false),
		"removed":   recorded("gone", false),
	}}
	next, changed := outputsToRecord(st, plan, map[string]cty.Value{
		"evaluated": cty.StringVal("new"),
		"same":      cty.StringVal("same"),
		"failed":    cty.UnknownVal(cty.String),
		"new":       cty.StringVal("fresh"),
	})
	want := map[string]*state.Output{
		"evaluated": recorded("new", false),
		"same":      recorded("same", false),
		"skipped":   recorded("kept", false),
		"secret":    recorded("kept", true),
		"failed":    recorded("kept", false),
		"new":       recorded("fresh", false),
	}
	if !changed {
		t.Error("changed is false, want true")
	}
	if len(next) != len(want) {
		t.Errorf("got outputs %v, want %v", names(next), names(want))
	}
	for name, w := range want {
		if got := next[name]; got == nil || string(got.Value) != string(w.Value) || got.Sensitive != w.Sensitive {
			t.Errorf("output %s\ngot:  %+v\nwant: %+v", name, got, w)
		}
	}
	if st.Outputs["secret"].Sensitive {
		t.Error("the recorded output was changed in place")
	}
}

func TestOutputsToRecordUnchanged(t *testing.T) {
	t.Parallel()
	plan := &planner.Plan{Config: &config.Config{Outputs: map[string]*config.Output{"a": {Name: "a"}, "b": {Name: "b"}}}}
	st := &state.State{Outputs: map[string]*state.Output{"a": recorded("x", false), "b": recorded("y", false)}}
	for name, outputs := range map[string]map[string]cty.Value{
		"none evaluated": {},
		"same values":    {"a": cty.StringVal("x"), "b": cty.StringVal("y")},
		"one failed":     {"a": cty.StringVal("x"), "b": cty.DynamicVal},
	} {
		if next, changed := outputsToRecord(st, plan, outputs); changed || len(next) != 2 {
			t.Errorf("%s: got %v (changed %t), want a and b unchanged", name, names(next), changed)
		}
	}
}

func names(m map[string]*state.Output) []string {
	var out []string
	for n := range m {
		out = append(out, n)
	}
	return out
}
