package planner

import (
	"encoding/json"

	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// UsageType is the type of step.NAME.usage.
var UsageType = cty.Object(map[string]cty.Type{
	"input_tokens":  cty.Number,
	"output_tokens": cty.Number,
	"total_tokens":  cty.Number,
})

// StepType is the type of step.NAME (or of one instance): what a step
// exposes to later expressions. result and tool_calls depend on the answer,
// so their types are dynamic.
var StepType = cty.Object(map[string]cty.Type{
	"output":        cty.String,
	"result":        cty.DynamicPseudoType,
	"tool_calls":    cty.DynamicPseudoType,
	"model":         cty.String,
	"finish_reason": cty.String,
	"usage":         UsageType,
	"request_id":    cty.String,
})

// UnknownStep is the value of a step that has not run yet.
var UnknownStep = cty.UnknownVal(StepType)

// StepValue turns a recorded step into the value later expressions see.
func StepValue(rec *state.Step) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"output":        cty.StringVal(rec.Output),
		"result":        jsonValue(rec.Result),
		"tool_calls":    toolCallsValue(rec.ToolCalls),
		"model":         cty.StringVal(rec.Model),
		"finish_reason": cty.StringVal(rec.FinishReason),
		"usage": cty.ObjectVal(map[string]cty.Value{
			"input_tokens":  cty.NumberIntVal(int64(rec.Usage.InputTokens)),
			"output_tokens": cty.NumberIntVal(int64(rec.Usage.OutputTokens)),
			"total_tokens":  cty.NumberIntVal(int64(rec.Usage.TotalTokens)),
		}),
		"request_id": cty.StringVal(rec.RequestID),
	})
}

func toolCallsValue(calls []state.ToolCall) cty.Value {
	vals := make([]cty.Value, 0, len(calls))
	for _, c := range calls {
		args := jsonValue(json.RawMessage(c.Arguments))
		if args.IsNull() && c.Arguments != "" {
			args = cty.StringVal(c.Arguments)
		}
		vals = append(vals, cty.ObjectVal(map[string]cty.Value{
			"id":        cty.StringVal(c.ID),
			"name":      cty.StringVal(c.Name),
			"arguments": args,
		}))
	}
	return cty.TupleVal(vals)
}

// jsonValue decodes JSON into a cty value of its implied type, or null.
func jsonValue(b json.RawMessage) cty.Value {
	if len(b) == 0 {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	ty, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	v, err := ctyjson.Unmarshal(b, ty)
	if err != nil {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return v
}
