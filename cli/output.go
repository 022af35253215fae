package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func runOutput(m *Meta, args []string) int {
	fs := m.newFlags("output", "output [-json] [-raw] [NAME]")
	jsonOut := fs.Bool("json", false, "print outputs as JSON")
	raw := fs.Bool("raw", false, "print one output's string value as it is, without quotes")
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
			all[n] = outputJSON(v, o.Sensitive)
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
	for _, n := range sortedKeys(outputs) {
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
			return m.fail("Unsupported value for raw output", fmt.Sprintf("Output %q is a %s; -raw prints only strings, numbers and booleans. Use -json.", name, v.Type().FriendlyName()))
		}
		fmt.Fprint(m.Stdout, s)
	case jsonOut && o.Sensitive:
		fmt.Fprintln(m.Stdout, `"(sensitive value)"`)
	case jsonOut:
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

// outputJSON is an output in -json form, as Terraform writes it.
func outputJSON(v cty.Value, sensitive bool) map[string]any {
	out := map[string]any{"sensitive": sensitive}
	if b, err := ctyjson.Marshal(v, v.Type()); err == nil && v.IsWhollyKnown() && !sensitive {
		out["value"] = json.RawMessage(b) // a sensitive value is printed only by output -raw
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

// shownRequest is a recorded request as show and state show print it: the
// messages of a request that used a sensitive value are redacted.
func shownRequest(rec *state.Step) json.RawMessage {
	if !rec.Sensitive || len(rec.Request) == 0 {
		return rec.Request
	}
	var req map[string]any
	if json.Unmarshal(rec.Request, &req) != nil {
		return json.RawMessage(`"(sensitive value)"`)
	}
	if msgs, ok := req["messages"].([]any); ok {
		for _, m := range msgs {
			if mm, ok := m.(map[string]any); ok {
				mm["content"] = "(sensitive value)"
			}
		}
	}
	b, _ := json.Marshal(req)
	return b
}
