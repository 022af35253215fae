package executor

import (
	"bytes"
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
	respJSON := marshalText(resp)
	rec := &state.Step{
		Address:      c.inst.Address(),
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
	if !offline {
		rec.Cost = costOf(c.prices, ex)
	}
	return rec
}

// marshalText encodes v as JSON without escaping <, > and &, which prompts
// and answers are full of: the state keeps the text as it reads.
func marshalText(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return nil
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// costOf is what an exchange's answers cost, at the price of the model
// that served them, with that price; nil when it is unpriced or there is
// no plan to price it from.
func costOf(prices *planner.Plan, ex *exchange) *state.Cost {
	if prices == nil || ex.asked == nil {
		return nil
	}
	served, region := billed(ex)
	price, ok := prices.PriceOfServed(ex.asked, served, region)
	if !ok {
		return nil
	}
	return &state.Cost{USD: planner.CostOf(ex.usage, price), Price: price}
}

// billed returns the model id an exchange's answers are billed as and the
// model_region (the price tier) of the request it was billed for. The model asked served them unless the response names one of
// the request's gateway fallbacks: a response may spell the model it was
// asked for otherwise (an alias, a dated id).
func billed(ex *exchange) (string, string) {
	if ex.sent == nil {
		return ex.asked.ID, ""
	}
	for _, fb := range ex.sent.Fallbacks {
		if ex.resp != nil && fb.Model == ex.resp.Model && fb.Model != ex.asked.ID {
			return fb.Model, requestRegion(fb.Extra, ex.sent.Extra)
		}
	}
	return ex.asked.ID, requestRegion(ex.sent.Extra, nil)
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
