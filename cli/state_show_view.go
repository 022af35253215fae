package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/promptform/promptform/state"
)

// stateShowView shows one recorded step instance for state show.
type stateShowView interface {
	// show prints the record and returns the exit code.
	show(rec *state.Step) int
}

// stateShowView returns the view of state show: JSON with -json, else the
// human one, each writing to the command's stdout.
func (m *Meta) stateShowView(jsonOut bool) stateShowView {
	if jsonOut {
		return stateShowJSON{m: m}
	}
	return stateShowHuman{w: m.Stdout, painter: m.painter()}
}

// stateShowJSON prints the record as one JSON document.
type stateShowJSON struct{ m *Meta }

func (v stateShowJSON) show(rec *state.Step) int {
	return v.m.printJSONDocument(toJSONStep(rec))
}

// stateShowHuman prints the record as labelled lines and blocks, on w,
// coloured as its painter says.
type stateShowHuman struct {
	w io.Writer
	painter
}

// show prints everything recorded about one step instance, sensitive
// parts redacted.
func (v stateShowHuman) show(rec *state.Step) int {
	s, w, m := shownStep(rec), v.w, v.painter
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
	if s.Failed != "" {
		line("failed", m.red(s.Failed))
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
