package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// outputView prints recorded outputs for output. Each method returns the
// exit code.
type outputView interface {
	diagView
	fail(summary, detail string) int
	// all prints every output; one prints the output called name.
	all(outputs map[string]*state.Output) int
	one(name string, o *state.Output) int
}

// newOutputView returns the view of output: JSON with -json, the bare
// value with -raw, else name = value lines.
func newOutputView(jsonOut, raw bool, v *viewBase) outputView {
	switch {
	case raw:
		return outputRaw{outputHuman{v}}
	case jsonOut:
		return outputJSONView{v}
	}
	return outputHuman{v}
}

// outputHuman prints outputs as name = value lines, sensitive ones
// redacted.
type outputHuman struct{ *viewBase }

func (v outputHuman) all(outputs map[string]*state.Output) int {
	if len(outputs) == 0 {
		fmt.Fprintln(v.stderr, "No outputs found. Declare output blocks and run apply.")
		return 0
	}
	return v.recordedOutputs(outputs)
}

func (v outputHuman) one(name string, o *state.Output) int {
	val, ok := v.decodeOutput(name, o)
	switch {
	case !ok:
		return 1
	case o.Sensitive:
		fmt.Fprintln(v.stdout, "(sensitive value)")
	default:
		fmt.Fprintln(v.stdout, formatValue(val))
	}
	return 0
}

// outputRaw prints one output's string, number or bool as it is.
type outputRaw struct{ outputHuman }

func (v outputRaw) one(name string, o *state.Output) int {
	val, ok := v.decodeOutput(name, o)
	if !ok {
		return 1
	}
	s, err := rawString(val)
	if err != nil {
		return v.fail("Unsupported value for raw output", fmt.Sprintf("Output %q is %s; -raw prints only strings, numbers and booleans. Use promptform output -json %s to print it as JSON.", name, kindOf(val.Type()), name))
	}
	fmt.Fprint(v.stdout, s)
	return 0
}

// outputJSONView prints outputs as JSON, sensitive values too, for
// scripts, as Terraform prints them.
type outputJSONView struct{ *viewBase }

func (v outputJSONView) all(outputs map[string]*state.Output) int {
	all := map[string]any{}
	for n, o := range outputs {
		val, ok := v.decodeOutput(n, o)
		if !ok {
			return 1
		}
		all[n] = outputJSONValue(val, o.Sensitive)
	}
	b, _ := json.MarshalIndent(all, "", "  ")
	fmt.Fprintln(v.stdout, string(b))
	return 0
}

func (v outputJSONView) one(name string, o *state.Output) int {
	if _, ok := v.decodeOutput(name, o); !ok {
		return 1
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, o.Value, "", "  "); err != nil {
		return v.fail("Corrupt output in state", fmt.Sprintf("Output %q is not valid JSON: %s.", name, err))
	}
	fmt.Fprintln(v.stdout, buf.String())
	return 0
}

// decodeOutput decodes a recorded output; it reports, and returns false,
// when the state holds a value that cannot be read.
func (v *viewBase) decodeOutput(name string, o *state.Output) (cty.Value, bool) {
	val, err := executor.DecodeOutput(o)
	if err != nil {
		v.fail("Corrupt output in state", fmt.Sprintf("Output %q cannot be decoded: %s.", name, err))
		return cty.NilVal, false
	}
	return val, true
}

// recordedOutputs prints recorded outputs on stdout as name = value lines,
// sorted, sensitive ones redacted; it returns the exit code.
func (v *viewBase) recordedOutputs(outputs map[string]*state.Output) int {
	for _, n := range slices.Sorted(maps.Keys(outputs)) {
		o := outputs[n]
		val, ok := v.decodeOutput(n, o)
		if !ok {
			return 1
		}
		text := formatValue(val)
		if o.Sensitive {
			text = "(sensitive value)"
		}
		fmt.Fprintf(v.stdout, "%s = %s\n", n, text)
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
