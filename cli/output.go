package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
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
	name := fs.Arg(0)
	if *raw && name == "" {
		return m.fail("Output name required", "-raw prints one output: promptform output -raw NAME.")
	}
	if *raw && *jsonOut {
		return m.fail("Conflicting options", "-raw and -json cannot be used together.")
	}
	st, diags := m.loadState()
	if diags.HasErrors() {
		writeDiags(m, m.Stderr, diags)
		return 1
	}
	if name != "" {
		o, ok := st.Outputs[name]
		if !ok {
			return m.fail("Output not found", fmt.Sprintf("The state holds no output named %q. Run apply first, or check the name: promptform output lists them.", name))
		}
		return m.printOne(name, o, *jsonOut, *raw)
	}
	if *jsonOut {
		all := map[string]any{}
		for n, o := range st.Outputs {
			v, err := executor.DecodeOutput(o)
			if err != nil {
				return m.fail("Corrupt output in state", fmt.Sprintf("Output %q cannot be decoded: %s.", n, err))
			}
			all[n] = outputJSONValue(v, o.Sensitive) // for scripts: sensitive values too, as Terraform prints them
		}
		b, _ := json.MarshalIndent(all, "", "  ")
		fmt.Fprintln(m.Stdout, string(b))
		return 0
	}
	if len(st.Outputs) == 0 {
		fmt.Fprintln(m.Stderr, "No outputs found. Declare output blocks and run apply.")
		return 0
	}
	return m.printRecordedOutputs(m.Stdout, st.Outputs)
}

// printRecordedOutputs prints recorded outputs as name = value lines,
// sorted, sensitive ones redacted; it returns the exit code.
func (m *Meta) printRecordedOutputs(w io.Writer, outputs map[string]*state.Output) int {
	for _, n := range slices.Sorted(maps.Keys(outputs)) {
		o := outputs[n]
		v, err := executor.DecodeOutput(o)
		if err != nil {
			return m.fail("Corrupt output in state", fmt.Sprintf("Output %q cannot be decoded: %s.", n, err))
		}
		text := formatValue(v)
		if o.Sensitive {
			text = "(sensitive value)"
		}
		fmt.Fprintf(w, "%s = %s\n", n, text)
	}
	return 0
}

func (m *Meta) printOne(name string, o *state.Output, jsonOut, raw bool) int {
	v, err := executor.DecodeOutput(o)
	if err != nil {
		return m.fail("Corrupt output in state", fmt.Sprintf("Output %q cannot be decoded: %s.", name, err))
	}
	switch {
	case raw:
		s, err := rawString(v)
		if err != nil {
			return m.fail("Unsupported value for raw output", fmt.Sprintf("Output %q is %s; -raw prints only strings, numbers and booleans. Use promptform output -json %s to print it as JSON.", name, kindOf(v.Type()), name))
		}
		fmt.Fprint(m.Stdout, s)
	case jsonOut: // sensitive values too, for scripts, as Terraform prints them
		var buf bytes.Buffer
		if err := json.Indent(&buf, o.Value, "", "  "); err != nil {
			return m.fail("Corrupt output in state", fmt.Sprintf("Output %q is not valid JSON: %s.", name, err))
		}
		fmt.Fprintln(m.Stdout, buf.String())
	case o.Sensitive:
		fmt.Fprintln(m.Stdout, "(sensitive value)")
	default:
		fmt.Fprintln(m.Stdout, formatValue(v))
	}
	return 0
}

// kindOf names the kind of a type with its article: "a list", "an object".
func kindOf(ty cty.Type) string {
	switch {
	case ty.IsListType():
		return "a list"
	case ty.IsSetType():
		return "a set"
	case ty.IsMapType():
		return "a map"
	case ty.IsObjectType():
		return "an object"
	case ty.IsTupleType():
		return "a tuple"
	}
	return "a " + ty.FriendlyName()
}

func rawString(v cty.Value) (string, error) {
	if v.IsNull() {
		return "", nil
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case cty.Bool:
		return fmt.Sprint(v.True()), nil
	}
	return "", fmt.Errorf("not a primitive")
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

// fail prints one error diagnostic and returns exit code 1.
func (m *Meta) fail(summary, detail string) int {
	writeDiags(m, m.Stderr, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}})
	return 1
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
