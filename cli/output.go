package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func runOutput(m *Meta, args []string) int {
	fs := m.newFlags("output", "output [-json] [-raw] [NAME]")
	jsonOut := fs.Bool("json", false, "print outputs as JSON")
	raw := fs.Bool("raw", false, "print one output's string, number or bool as it is, without quotes or a newline")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := newOutputView(*jsonOut, *raw, m.view())
	name := fs.Arg(0)
	if *raw && name == "" {
		return view.fail("Output name required", "-raw prints one output: promptform output -raw NAME.")
	}
	if *raw && *jsonOut {
		return view.fail("Conflicting options", "-raw and -json cannot be used together.")
	}
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	if name == "" {
		return view.all(st.Outputs)
	}
	o, ok := st.Outputs[name]
	if !ok {
		return view.fail("Output not found", fmt.Sprintf("The state holds no output named %q. Run apply first, or check the name: promptform output lists them.", name))
	}
	return view.one(name, o)
}

// outputJSON is an output in -json form, as Terraform writes it, without
// the value of a sensitive one.
func outputJSON(v cty.Value, sensitive bool) map[string]any {
	out := outputJSONValue(v, sensitive)
	if sensitive {
		delete(out, "value")
	}
	return out
}

// outputJSONValue is outputJSON with the value of a sensitive output too:
// what output -json prints, for scripts.
func outputJSONValue(v cty.Value, sensitive bool) map[string]any {
	out := map[string]any{"sensitive": sensitive}
	if b, err := ctyjson.Marshal(v, v.Type()); err == nil && v.IsWhollyKnown() {
		out["value"] = json.RawMessage(b)
	}
	if b, err := ctyjson.MarshalType(v.Type()); err == nil {
		out["type"] = json.RawMessage(b)
	}
	return out
}

// shownStep is a recorded step instance as show and state show print it.
// The messages of its request that used a sensitive value are redacted;
// when any did, so is its answer (a model may repeat what it was sent):
// output, result, tool calls, tool results and the response's choices.
func shownStep(rec *state.Step) *state.Step {
	cp := *rec
	cp.Request = shownRequest(rec)
	if !rec.Sensitive {
		return &cp
	}
	if cp.Output != "" {
		cp.Output = planner.SensitiveText
	}
	if len(cp.Result) > 0 {
		cp.Result = sensitiveJSON
	}
	cp.ToolCalls = redactedCalls(rec.ToolCalls)
	cp.Rounds = make([]state.Round, len(rec.Rounds))
	for i, r := range rec.Rounds {
		cp.Rounds[i] = state.Round{ToolCalls: redactedCalls(r.ToolCalls), Results: make([]state.ToolResult, len(r.Results))}
		for j, res := range r.Results {
			if res.Output != "" {
				res.Output = planner.SensitiveText
			}
			cp.Rounds[i].Results[j] = res
		}
	}
	cp.Response = shownResponse(rec.Response, rec.SensitiveFields)
	return &cp
}

// sensitiveJSON is a redacted value in JSON.
var sensitiveJSON = json.RawMessage(`"` + planner.SensitiveText + `"`)

// redactedCalls copies tool calls without their arguments.
func redactedCalls(calls []state.ToolCall) []state.ToolCall {
	if calls == nil {
		return nil
	}
	out := make([]state.ToolCall, len(calls))
	for i, c := range calls {
		c.Arguments = planner.SensitiveText
		out[i] = c
	}
	return out
}

// shownRequest is a recorded request with the parts that used a sensitive
// value redacted: the messages (every field but the role) and the other
// fields the record lists.
func shownRequest(rec *state.Step) json.RawMessage {
	if !rec.Sensitive || len(rec.Request) == 0 {
		return rec.Request
	}
	var req map[string]any
	if decodeJSON(rec.Request, &req) != nil {
		return sensitiveJSON
	}
	redact := planner.RedactedMessages(rec)
	msgs, _ := req["messages"].([]any)
	for i, m := range msgs {
		if mm, ok := m.(map[string]any); ok && redact(i) {
			for k := range mm {
				if k != "role" {
					mm[k] = planner.SensitiveText
				}
			}
		}
	}
	planner.RedactFields(req, rec.SensitiveFields)
	return canonicalJSON(req)
}

// shownResponse is a recorded response of a sensitive request with the
// answer redacted: the choices' content and tool call arguments, and the
// messages and the sensitive fields of the request the gateway echoes.
func shownResponse(b json.RawMessage, fields []string) json.RawMessage {
	if len(b) == 0 {
		return b
	}
	var resp map[string]any
	if decodeJSON(b, &resp) != nil {
		return sensitiveJSON
	}
	choices, _ := resp["choices"].([]any)
	for _, c := range choices {
		choice, _ := c.(map[string]any)
		if msg, ok := choice["message"].(map[string]any); ok {
			if _, has := msg["content"]; has && msg["content"] != nil {
				msg["content"] = planner.SensitiveText
			}
			redactCallArgs(msg["tool_calls"])
		}
		redactCallArgs(choice["tool_calls"])
	}
	if echo, ok := resp["request"].(map[string]any); ok {
		for _, k := range []string{"messages", "prompt"} {
			if _, has := echo[k]; has {
				echo[k] = planner.SensitiveText
			}
		}
		planner.RedactFields(echo, fields)
	}
	return canonicalJSON(resp)
}

// redactCallArgs redacts the arguments of wire tool calls.
func redactCallArgs(calls any) {
	list, _ := calls.([]any)
	for _, c := range list {
		call, _ := c.(map[string]any)
		if fn, ok := call["function"].(map[string]any); ok {
			fn["arguments"] = planner.SensitiveText
		}
	}
}

// decodeJSON decodes a JSON document, its numbers kept as written.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// canonicalJSON encodes a decoded document again, HTML characters as they
// are.
func canonicalJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return sensitiveJSON
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}
