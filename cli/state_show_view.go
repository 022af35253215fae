package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/state"
)

// runStateShow prints everything recorded about one step instance.
func runStateShow(m *Meta, args []string) int {
	fs := m.newFlags("state show", "state show [-json] ADDR")
	jsonOut := fs.Bool("json", false, "print the record as JSON")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := newStateShowView(*jsonOut, m.view())
	if fs.NArg() != 1 {
		return view.fail("Address required", "state show prints one step instance: promptform state show ADDR. promptform state list shows the addresses.")
	}
	addrs, diags := parseStateAddrs(fs.Args())
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	a := addrs[0]
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	rec, ok := st.Steps[a.String()]
	if !ok {
		var instances []string
		for _, addr := range st.Addresses() {
			if a.matches(addr) {
				instances = append(instances, addr)
			}
		}
		if len(instances) > 0 {
			return view.fail("Step has several instances",
				fmt.Sprintf("%s has %d recorded instances; name one of them: %s.", a.Text, len(instances), strings.Join(instances, ", ")))
		}
		view.diags(hcl.Diagnostics{notInState(a, st)})
		return 1
	}
	return view.show(rec)
}

func toolCallText(c state.ToolCall) string {
	return fmt.Sprintf("%s %s(%s)", c.ID, c.Name, c.Arguments)
}

// writeAsserts prints one line an assert, indented under an "asserts:"
// label: its name, then passed, or failed and its message.
func writeAsserts(w io.Writer, m painter, asserts []state.Assert) {
	for _, a := range asserts {
		if a.Passed {
			fmt.Fprintf(w, "    %s  %s\n", a.Name, m.green("passed"))
		} else {
			fmt.Fprintf(w, "    %s  %s %s\n", a.Name, m.red("failed:"), a.Message)
		}
	}
}

// prettyJSON indents JSON text, or returns it as it is when it is not JSON.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// stateShowView shows one recorded step instance for state show.
type stateShowView interface {
	diagView
	fail(summary, detail string) int
	// show prints the record and returns the exit code.
	show(rec *state.Step) int
}

// newStateShowView returns the view of state show: JSON with -json, else
// the human one, each writing to the command's stdout.
func newStateShowView(jsonOut bool, v *viewBase) stateShowView {
	if jsonOut {
		return stateShowJSON{v}
	}
	return stateShowHuman{v}
}

// stateShowJSON prints the record as one JSON document.
type stateShowJSON struct{ *viewBase }

func (v stateShowJSON) show(rec *state.Step) int {
	return v.jsonDocument(toJSONStep(rec))
}

// stateShowHuman prints the record as labelled lines and blocks on
// stdout.
type stateShowHuman struct{ *viewBase }

// show prints everything recorded about one step instance, sensitive
// parts redacted.
func (v stateShowHuman) show(rec *state.Step) int {
	s, w, m := shownInstance(rec), v.stdout, v.paint
	line := func(label, value string) { fmt.Fprintf(w, "  %-16s %s\n", label+":", value) }
	block := func(label, text string) {
		fmt.Fprintf(w, "\n  %s\n%s\n", label+":", indentBlock(text, 4))
	}
	fmt.Fprintf(w, "# %s:\n", m.bold(s.Address))
	if len(s.Key) > 0 {
		line("key", string(s.Key))
	}
	model := s.Model
	if s.Offline {
		model += " " + m.faint("(offline model)")
	}
	line("model", model)
	line("finish reason", noneIfEmpty(s.FinishReason))
	line("usage", usageText(s.Usage))
	line("cost", costText(s))
	line("request hash", s.RequestHash)
	if s.RequestID != "" {
		line("request id", s.RequestID)
	}
	if !s.StartedAt.IsZero() {
		line("started at", s.StartedAt.UTC().Format(time.RFC3339Nano))
	}
	line("duration", (time.Duration(s.DurationMS) * time.Millisecond).String())
	line("attempts", fmt.Sprint(s.Attempts))
	if s.SchemaAttempts > 0 {
		line("schema attempts", fmt.Sprint(s.SchemaAttempts))
	}
	if s.Sample > 0 {
		line("sample", fmt.Sprintf("%d of %s", s.Sample, s.InstanceAddress()))
	}
	if s.Failed != "" {
		line("failed", m.red(s.Failed))
	}
	if len(s.Asserts) > 0 {
		fmt.Fprintf(w, "\n  asserts:\n")
		writeAsserts(w, m, s.Asserts)
	}
	if len(s.ModelAttempts) > 0 {
		fmt.Fprintf(w, "\n  model attempts:\n")
		for i, a := range s.ModelAttempts {
			text := a.Model + "  " + m.green("answered")
			if a.Error != "" {
				text = a.Model + "  " + m.red("failed: ") + a.Error
			}
			fmt.Fprintf(w, "    %d. %s\n", i+1, text)
		}
	}
	if len(s.Request) > 0 {
		block("request", prettyJSON(s.Request))
	}
	if s.Output == "" {
		fmt.Fprintf(w, "\n  output: %s\n", m.faint("(empty)"))
	} else {
		block("output", s.Output)
	}
	if len(s.Result) > 0 {
		block("result", prettyJSON(s.Result))
	}
	if len(s.ToolCalls) > 0 {
		fmt.Fprintf(w, "\n  tool calls:\n")
		for _, c := range s.ToolCalls {
			fmt.Fprintf(w, "    %s\n", toolCallText(c))
		}
	}
	for i, r := range s.Rounds {
		fmt.Fprintf(w, "\n  tool round %d:\n", i+1)
		for _, c := range r.ToolCalls {
			fmt.Fprintf(w, "    call   %s\n", toolCallText(c))
		}
		for _, res := range r.Results {
			took := (time.Duration(res.DurationMS) * time.Millisecond).String()
			if res.Error != "" {
				fmt.Fprintf(w, "    result %s %s (%s): %s %s\n", res.ID, res.Name, took, m.red("error:"), res.Error)
			} else {
				fmt.Fprintf(w, "    result %s %s (%s):\n", res.ID, res.Name, took)
			}
			if res.Output != "" {
				fmt.Fprintln(w, indentBlock(res.Output, 6))
			}
		}
	}
	if len(s.Response) > 0 {
		block("response", prettyJSON(s.Response))
	}
	return 0
}
