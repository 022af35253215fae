package planner

import (
	"sort"

	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// OutputAction is what applying a plan does to one recorded output.
type OutputAction string

// The output actions, named as Terraform names them.
const (
	OutputCreate OutputAction = "create"
	OutputUpdate OutputAction = "update"
	OutputDelete OutputAction = "delete"
)

// OutputChange is one output whose recorded value the plan changes.
type OutputChange struct {
	Name   string
	Action OutputAction
	// Before is the recorded value (cty.NilVal for create); After is the
	// planned one, unknown where it depends on a step that will run
	// (cty.NilVal for delete).
	Before, After cty.Value
	Sensitive     bool
}

// outputChanges compares the outputs the plan evaluated with the recorded
// ones, sorted by name. An output the plan did not evaluate (left out by
// -target or -exclude, or not valid) keeps its recorded value and is no
// change; one gone from the configuration is deleted (as apply does, with
// or without -target); one whose value is not known yet changes.
func (p *Plan) outputChanges(st *state.State) []OutputChange {
	var out []OutputChange
	for name, v := range p.Outputs {
		sensitive := p.Config.Outputs[name] != nil && p.Config.Outputs[name].Sensitive
		old := st.Outputs[name]
		switch {
		case old == nil:
			out = append(out, OutputChange{Name: name, Action: OutputCreate, After: v, Sensitive: sensitive})
		case !sameRecorded(old, v):
			out = append(out, OutputChange{Name: name, Action: OutputUpdate, Before: recordedValue(old), After: v, Sensitive: sensitive || old.Sensitive})
		}
	}
	for name, old := range st.Outputs {
		if p.Config.Outputs[name] == nil && old != nil {
			out = append(out, OutputChange{Name: name, Action: OutputDelete, Before: recordedValue(old), Sensitive: old.Sensitive})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// sameRecorded reports whether a planned value is the recorded one.
func sameRecorded(old *state.Output, v cty.Value) bool {
	if v == cty.NilVal || !v.IsWhollyKnown() {
		return false
	}
	v, _ = v.UnmarkDeep()
	val, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return false
	}
	ty, err := ctyjson.MarshalType(v.Type())
	return err == nil && state.SameJSON(val, old.Value) && state.SameJSON(ty, old.Type)
}

// recordedValue decodes a recorded output; a record that cannot be read is
// shown as its JSON text.
func recordedValue(o *state.Output) cty.Value {
	ty, err := ctyjson.UnmarshalType(o.Type)
	if err != nil {
		return cty.StringVal(string(o.Value))
	}
	v, err := ctyjson.Unmarshal(o.Value, ty)
	if err != nil {
		return cty.StringVal(string(o.Value))
	}
	return v
}
