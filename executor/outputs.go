package executor

import (
	"bytes"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// outputsToRecord returns the outputs that could be evaluated, to replace
// the recorded set (so that no stale value outlives a failed run), and
// whether that changes anything.
func outputsToRecord(st *state.State, plan *planner.Plan, outputs map[string]cty.Value) (map[string]*state.Output, bool) {
	next := map[string]*state.Output{}
	for name, v := range outputs {
		if !v.IsWhollyKnown() {
			continue
		}
		valJSON, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			continue
		}
		tyJSON, err := ctyjson.MarshalType(v.Type())
		if err != nil {
			continue
		}
		next[name] = &state.Output{Value: valJSON, Type: tyJSON, Sensitive: plan.Config.Outputs[name].Sensitive}
	}
	changed := len(next) != len(st.Outputs)
	for name, o := range next {
		if old, ok := st.Outputs[name]; !ok || !bytes.Equal(old.Value, o.Value) || !bytes.Equal(old.Type, o.Type) || old.Sensitive != o.Sensitive {
			changed = true
		}
	}
	return next, changed
}

// DecodeOutput decodes a recorded output.
func DecodeOutput(o *state.Output) (cty.Value, error) {
	ty, err := ctyjson.UnmarshalType(o.Type)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(o.Value, ty)
}
