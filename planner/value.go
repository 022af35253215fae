package planner

import (
	"encoding/json"

	"github.com/promptform/promptform/config"
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

// StepType is the type of step.NAME (or of one instance) whose result has
// type result and whose assert blocks are asserts: what a step exposes to
// later expressions. A step without a schema given as an HCL type has a
// dynamic result; tool_calls depend on the answer, so their type is
// dynamic, and so is samples, a tuple of objects that hold them.
func StepType(result cty.Type, asserts []*config.Assert) cty.Type {
	return cty.Object(map[string]cty.Type{
		"output":        cty.String,
		"result":        result,
		"tool_calls":    cty.DynamicPseudoType,
		"model":         cty.String,
		"finish_reason": cty.String,
		"usage":         UsageType,
		"request_id":    cty.String,
		"asserts":       assertsType(asserts),
		"samples":       cty.DynamicPseudoType,
	})
}

// assertsType is the type of step.NAME.asserts: a bool per assert block.
func assertsType(asserts []*config.Assert) cty.Type {
	attrs := make(map[string]cty.Type, len(asserts))
	for _, a := range asserts {
		attrs[a.Name] = cty.Bool
	}
	return cty.Object(attrs)
}

// assertsValue is the value of step.NAME.asserts for a recorded answer:
// each assert's score, unknown for one not scored yet (declared after the
// answer was recorded; apply scores it).
func assertsValue(asserts []*config.Assert, rec *state.Step) cty.Value {
	attrs := make(map[string]cty.Value, len(asserts))
	for _, a := range asserts {
		attrs[a.Name] = cty.UnknownVal(cty.Bool)
		for _, r := range rec.Asserts {
			if r.Name == a.Name {
				attrs[a.Name] = cty.BoolVal(r.Passed)
			}
		}
	}
	return cty.ObjectVal(attrs)
}

// ResultType is the type of a step's result: its schema's HCL type, or
// dynamic.
func (p *Plan) ResultType(s *config.Step) cty.Type {
	if s.Schema != nil {
		if sc := p.Schemas[p.stepNS[s]+s.Schema.Name]; sc != nil && sc.Type != cty.NilType {
			return sc.Type
		}
	}
	return cty.DynamicPseudoType
}

// UnknownStep is the value of an instance of s that has not run yet: its
// attributes are unknown but typed, so that step.a.result.titel is an
// error when the plan is made.
func (p *Plan) UnknownStep(s *config.Step) cty.Value {
	if v, ok := p.unknown.Load(s); ok {
		return v.(cty.Value) // values are immutable: one per step serves every instance
	}
	v := p.unknownStep(s)
	p.unknown.Store(s, v)
	return v
}

func (p *Plan) unknownStep(s *config.Step) cty.Value {
	attrs := map[string]cty.Value{}
	for name, ty := range StepType(p.ResultType(s), s.Asserts).AttributeTypes() {
		attrs[name] = cty.UnknownVal(ty)
	}
	if s.Schema == nil {
		// Without a schema the result is surely null, so step.a.result.x is
		// an error when the plan is made, not after the call.
		attrs["result"] = cty.NullVal(cty.DynamicPseudoType)
	}
	attrs["samples"] = ownSample(attrs)
	return cty.ObjectVal(attrs)
}

// ownSample is the samples of an instance that is its only sample: one
// element, made of the instance's own attributes. withSamples replaces it
// for a step with repeat.
func ownSample(attrs map[string]cty.Value) cty.Value {
	sample := make(map[string]cty.Value, len(sampleAttrs))
	for _, name := range sampleAttrs {
		sample[name] = attrs[name]
	}
	return cty.TupleVal([]cty.Value{cty.ObjectVal(sample)})
}

// StepValue turns a recorded instance of s into the value later
// expressions see. When its request used a sensitive value, so does its
// answer: output, result and tool_calls carry the Sensitive mark.
//
// The value of a record is made once per plan and re-used: apply walks
// the plan's instances again, and a kept instance's record is the same.
func (p *Plan) StepValue(s *config.Step, rec *state.Step) cty.Value {
	key := stepRecord{s, rec}
	if v, ok := p.recorded.Load(key); ok {
		return v.(cty.Value)
	}
	v := p.stepValue(s, rec)
	p.recorded.Store(key, v)
	return v
}

// stepRecord is a record of a step, as StepValue caches its value: a
// record read from the state is never changed (a new answer, or new
// scores, make a new record).
type stepRecord struct {
	step *config.Step
	rec  *state.Step
}

// AnswerValue is StepValue for a record still being made (an answer
// whose asserts are scored next): its value is not cached.
func (p *Plan) AnswerValue(s *config.Step, rec *state.Step) cty.Value { return p.stepValue(s, rec) }

func (p *Plan) stepValue(s *config.Step, rec *state.Step) cty.Value {
	attrs := map[string]cty.Value{
		"output":        cty.StringVal(rec.Output),
		"result":        resultValue(rec.Result, p.ResultType(s)),
		"tool_calls":    toolCallsValue(rec.ToolCalls),
		"model":         cty.StringVal(rec.Model),
		"finish_reason": cty.StringVal(rec.FinishReason),
		"usage": cty.ObjectVal(map[string]cty.Value{
			"input_tokens":  cty.NumberIntVal(int64(rec.Usage.InputTokens)),
			"output_tokens": cty.NumberIntVal(int64(rec.Usage.OutputTokens)),
			"total_tokens":  cty.NumberIntVal(int64(rec.Usage.TotalTokens)),
		}),
		"request_id": cty.StringVal(rec.RequestID),
		"asserts":    assertsValue(s.Asserts, rec),
	}
	attrs["samples"] = ownSample(attrs) // with repeat, set when the step's instances are exposed
	v := cty.ObjectVal(attrs)
	if rec.Sensitive {
		v = sensitiveAnswer(v)
	}
	return v
}

// ChangeValue is the value later expressions see, while the plan is made,
// of a planned instance of s: the recorded one when it is kept, else
// unknown. Its answer is marked Sensitive when the rendered request uses a
// sensitive value, so that what uses it is sensitive too.
func (p *Plan) ChangeValue(s *config.Step, c *Change) cty.Value {
	if c.Action == Keep && c.Prior != nil {
		return p.StepValue(s, c.Prior)
	}
	v := p.UnknownStep(s)
	if c.Rendered != nil && c.Rendered.Sensitive() {
		v = sensitiveAnswer(v)
	}
	return v
}

// answerAttrs are the attributes of a step value that come from the
// model's answer: a model may repeat its input, so they are as sensitive
// as the request.
var answerAttrs = []string{"output", "result", "tool_calls"}

// sensitiveAnswer marks the answer attributes of a step value.
func sensitiveAnswer(v cty.Value) cty.Value {
	attrs := v.AsValueMap()
	for _, name := range append(answerAttrs, "samples") { // samples repeat the answer
		attrs[name] = attrs[name].Mark(Sensitive)
	}
	return cty.ObjectVal(attrs)
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

// resultValue decodes a recorded result as ty (dynamic: its implied type);
// null when there is none or it does not fit.
func resultValue(b json.RawMessage, ty cty.Type) cty.Value {
	if ty == cty.DynamicPseudoType {
		return jsonValue(b)
	}
	if len(b) == 0 {
		return cty.NullVal(ty)
	}
	v, err := ctyjson.Unmarshal(b, ty)
	if err != nil {
		return cty.NullVal(ty)
	}
	return v
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
