package executor

import (
	"bytes"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// outputsToRecord returns the outputs to record after a run, and whether
// they differ from the recorded ones. An output evaluated this run takes its
// new value; one the run did not evaluate (left out by -target or -exclude,
// or downstream of a failed step) keeps its recorded value; one no longer
// in the configuration is removed. A kept output that the configuration now
// marks sensitive is recorded as sensitive, so that it is never shown.
func outputsToRecord(st *state.State, plan *planner.Plan, outputs map[string]cty.Value) (map[string]*state.Output, bool) {
	next := map[string]*state.Output{}
	for name, old := range st.Outputs {
		switch cfg := plan.Config.Outputs[name]; {
		case cfg == nil || old == nil:
		case cfg.Sensitive && !old.Sensitive:
			next[name] = &state.Output{Value: old.Value, Type: old.Type, Sensitive: true}
		default:
			next[name] = old
		}
	}
	for name, v := range outputs {
		if o := encodeOutput(v, plan.Config.Outputs[name].Sensitive); o != nil {
			next[name] = o
		}
	}
	changed := len(next) != len(st.Outputs)
	for name, o := range next {
		if old, ok := st.Outputs[name]; !ok || !sameOutput(old, o) {
			changed = true
		}
	}
	return next, changed
}

// encodeOutput returns the record of an evaluated output, or nil when it
// could not be evaluated.
func encodeOutput(v cty.Value, sensitive bool) *state.Output {
	if !v.IsWhollyKnown() {
		return nil
	}
	valJSON, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil
	}
	tyJSON, err := ctyjson.MarshalType(v.Type())
	if err != nil {
		return nil
	}
	return &state.Output{Value: valJSON, Type: tyJSON, Sensitive: sensitive}
}

func sameOutput(a, b *state.Output) bool {
	return a != nil && b != nil && bytes.Equal(a.Value, b.Value) && bytes.Equal(a.Type, b.Type) && a.Sensitive == b.Sensitive
}

// DecodeOutput decodes a recorded output.
func DecodeOutput(o *state.Output) (cty.Value, error) {
	ty, err := ctyjson.UnmarshalType(o.Type)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(o.Value, ty)
}
