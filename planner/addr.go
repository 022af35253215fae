package planner

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

// Addr is the address of a step instance: step.NAME, step.NAME["key"]
// (for_each) or step.NAME[0] (count).
type Addr struct {
	Step string
	Key  cty.Value // cty.NilVal for a step without instances
}

// String spells the address as HCL.
func (a Addr) String() string {
	switch {
	case a.Key == cty.NilVal:
		return "step." + a.Step
	case a.Key.Type() == cty.String:
		return fmt.Sprintf("step.%s[%s]", a.Step, strconv.Quote(a.Key.AsString()))
	default:
		return fmt.Sprintf("step.%s[%s]", a.Step, a.Key.AsBigFloat().Text('f', -1))
	}
}

// KeyJSON returns the instance key as JSON, or nil for no key.
func (a Addr) KeyJSON() json.RawMessage {
	switch {
	case a.Key == cty.NilVal:
		return nil
	case a.Key.Type() == cty.String:
		b, _ := json.Marshal(a.Key.AsString())
		return b
	default:
		return json.RawMessage(a.Key.AsBigFloat().Text('f', -1))
	}
}
