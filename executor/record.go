package executor

import (
	"encoding/json"
	"time"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// newRecord builds the state record of a finished call. Its usage is the
// sum over every answer of the step, tool rounds and schema retries
// included: what the step cost.
func newRecord(c *call, ex *exchange, started time.Time, offline bool) *state.Step {
	resp := ex.resp
	respJSON, _ := json.Marshal(resp)
	rec := &state.Step{
		Address:      c.inst.Addr.String(),
		Name:         c.inst.Step.Name,
		Key:          c.inst.Addr.KeyJSON(),
		Sample:       c.inst.Addr.Sample,
		Each:         eachJSON(c.inst.Rep),
		RequestHash:  c.hash,
		Request:      c.canonical,
		Response:     respJSON,
		Offline:      offline,
		Sensitive:    c.rendered.Sensitive(),
		Output:       resp.Text(),
		ToolCalls:    []state.ToolCall{},
		Model:        ex.answeredBy(),
		FinishReason: resp.FinishReason(),
		RequestID:    resp.RequestID,
		StartedAt:    started.UTC().Truncate(time.Millisecond),
		DurationMS:   time.Since(started).Milliseconds(),
		Attempts:     max(resp.Attempts, 1),

		Result:         ex.result,
		SchemaAttempts: ex.schemaAttempts,
		Rounds:         ex.rounds,
		ModelAttempts:  ex.modelAttempts,
	}
	rec.SensitiveMessages = c.rendered.SensitiveMessages()
	rec.SensitiveFields = c.rendered.SensitiveFields()
	if ex.requests > 1 {
		rec.Attempts = ex.requests // tool rounds and schema retries are further calls
	}
	for _, tc := range resp.AllToolCalls() {
		rec.ToolCalls = append(rec.ToolCalls, state.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	rec.Usage = ex.usage
	return rec
}

// eachJSON is an instance's each.value as JSON, for reports: nil without
// for_each, or when it uses a sensitive value, or cannot be encoded.
func eachJSON(rep planner.Repetition) json.RawMessage {
	v := rep.EachValue
	if v == cty.NilVal || v.ContainsMarked() || !v.IsWhollyKnown() {
		return nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil
	}
	return b
}
