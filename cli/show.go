package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

func runShow(m *Meta, args []string) int {
	fs := m.newFlags("show", "show [-json|-markdown] [PLANFILE]")
	jsonOut := fs.Bool("json", false, "print the state as one JSON document")
	markdown := fs.Bool("markdown", false, "print a saved plan as GitHub-flavoured Markdown, for a pull-request comment")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	path := fs.Arg(0)
	switch {
	case *markdown && *jsonOut:
		return m.view().fail("Conflicting options", "-markdown and -json cannot be used together.")
	case *markdown && path == "":
		return m.view().fail("Plan file required", "-markdown prints a saved plan: promptform show -markdown PLANFILE.")
	case *markdown:
		return showSavedPlan(m, path, savedAsMarkdown)
	case *jsonOut && path != "":
		return showSavedPlan(m, path, savedAsJSON)
	case path != "":
		return showSavedPlan(m, path, savedAsText)
	}
	view := newShowView(*jsonOut, m.view())
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	return view.state(st, m.graphOrder(st))
}

// showView prints the recorded state.
type showView interface {
	diagView
	// state prints st, its step instances in the order given; it returns
	// the exit code.
	state(st *state.State, order []string) int
}

// newShowView returns the view of show: one JSON document with -json,
// else text.
func newShowView(jsonOut bool, v *viewBase) showView {
	if jsonOut {
		return showJSON{v}
	}
	return showHuman{v}
}

// emptyState reports whether the state has nothing in it.
func emptyState(st *state.State) bool { return len(st.Steps) == 0 && len(st.Outputs) == 0 }

type showHuman struct{ *viewBase }

// state prints each step instance, in graph order, then the outputs.
func (v showHuman) state(st *state.State, order []string) int {
	w, m := v.stdout, v.paint
	if emptyState(st) {
		fmt.Fprintln(w, "No state. Run promptform apply first.")
		return 0
	}
	for _, addr := range order {
		s := shownInstance(st.Steps[addr])
		fmt.Fprintf(w, "# %s:\n", m.bold(addr))
		model := s.Model
		if s.Offline {
			model += " " + m.faint("(offline model)")
		}
		line := func(label, value string) { fmt.Fprintf(w, "  %-15s %s\n", label+":", value) }
		line("model", model)
		line("finish reason", noneIfEmpty(s.FinishReason))
		line("usage", usageText(s.Usage))
		line("cost", costText(s))
		line("request hash", shortRequestHash(s.RequestHash))
		line("ran", ranText(s))
		if s.Failed != "" {
			line("failed", m.red(s.Failed))
		}
		if len(s.Asserts) > 0 {
			fmt.Fprintln(w, "  asserts:")
			writeAsserts(w, m, s.Asserts)
		}
		if s.Output == "" {
			line("output", m.faint("(empty)"))
		} else {
			fmt.Fprintf(w, "  output:\n%s\n", indentBlock(s.Output, 4))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s %s\n\n", m.bold("Total cost:"), spendText(stateSpend(st)))
	if len(st.Outputs) == 0 {
		return 0
	}
	fmt.Fprintf(w, "%s\n\n", m.bold("Outputs:"))
	return v.recordedOutputs(st.Outputs)
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// usageText is a recorded token count in one line, with the input tokens
// that went through the prompt cache when there are any.
func usageText(u state.Usage) string {
	var cache []string
	if u.CacheReadTokens > 0 {
		cache = append(cache, fmt.Sprintf("%d cache read", u.CacheReadTokens))
	}
	if u.CacheWriteTokens > 0 {
		cache = append(cache, fmt.Sprintf("%d cache write", u.CacheWriteTokens))
	}
	in := fmt.Sprintf("%d input", u.InputTokens)
	if len(cache) > 0 {
		in += " (" + strings.Join(cache, ", ") + ")"
	}
	return fmt.Sprintf("%s + %d output = %d tokens", in, u.OutputTokens, u.TotalTokens)
}

// costText is what a record cost and the price it was computed from:
// "$0.00123 (claude-haiku at $1.10/$5.50 per million tokens, catalog
// (us))".
func costText(s *state.Step) string {
	switch {
	case s.Cost != nil:
		return fmt.Sprintf("%s (%s at %s, %s)", usd(s.Cost.USD), s.Model, priceText(s.Cost.Price), s.Cost.Price.Source)
	case s.Offline:
		return usd(0) + " (offline model)"
	}
	return "unpriced (no price was known for the model)"
}

// spendText is the total cost of recorded answers, with how many of them
// it counts: "$0.0123 (12 instances priced; 2 unpriced)".
func spendText(s spend) string {
	text := usd(s.USD) + " (" + count(s.Priced, "instance") + " priced"
	if s.Unpriced > 0 {
		text += "; " + num(s.Unpriced) + " unpriced"
	}
	return text + ")"
}

// shortRequestHash abbreviates a request hash to twelve hex digits.
func shortRequestHash(h string) string {
	algo, hex, ok := strings.Cut(h, ":")
	if !ok {
		algo, hex = "", h
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if algo == "" {
		return hex
	}
	return algo + ":" + hex
}

// ranText is when a step ran and how long it took.
func ranText(s *state.Step) string {
	d := time.Duration(s.DurationMS) * time.Millisecond
	if s.StartedAt.IsZero() {
		return "took " + d.String()
	}
	return s.StartedAt.UTC().Format(time.RFC3339) + ", took " + d.String()
}

// indentBlock indents every line of s by n spaces, keeping blank lines
// blank; a final newline is dropped.
func indentBlock(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	pad := strings.Repeat(" ", n)
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

type showJSON struct{ *viewBase }

// state writes one JSON document: the state's identity, its step instances
// sorted by address, and its outputs as output -json writes them, less the
// values of sensitive ones.
func (v showJSON) state(st *state.State, order []string) int {
	total := stateSpend(st)
	doc := struct {
		FormatVersion string         `json:"format_version"`
		Lineage       string         `json:"lineage"`
		Serial        uint64         `json:"serial"`
		Steps         []jsonStep     `json:"steps"`
		CostUSD       any            `json:"cost_usd"`           // of every priced record; null when none is priced but some are not
		Unpriced      int            `json:"unpriced_instances"` // records without a price, offline ones aside
		Outputs       map[string]any `json:"outputs"`
	}{FormatVersion: "1.0", Lineage: st.Lineage, Serial: st.Serial, Steps: []jsonStep{}, Outputs: map[string]any{},
		CostUSD: total.usdJSON(), Unpriced: total.Unpriced}
	if st.Serial == 0 && emptyState(st) {
		doc.Lineage = "" // no state yet: the fresh lineage is not one
	}
	for _, addr := range order {
		doc.Steps = append(doc.Steps, toJSONStep(st.Steps[addr]))
	}
	for n, o := range st.Outputs {
		val, ok := v.decodeOutput(n, o)
		if !ok {
			return 1
		}
		doc.Outputs[n] = outputJSON(val, o.Sensitive) // a sensitive value is printed only by output -json and -raw
	}
	return v.jsonDocument(doc)
}

// jsonStep is a recorded step instance in show -json and state show -json.
// Arrays are never null.
type jsonStep struct {
	Address        string               `json:"address"`
	Name           string               `json:"name"`
	Key            json.RawMessage      `json:"key,omitempty"`
	Sample         int                  `json:"sample,omitempty"` // 1 to N-1 for the samples after the first of repeat = N
	Each           json.RawMessage      `json:"each,omitempty"`   // each.value of a for_each instance
	Model          string               `json:"model"`
	Offline        bool                 `json:"offline"`
	Sensitive      bool                 `json:"sensitive,omitempty"` // its request used a sensitive value: parts are redacted
	FinishReason   string               `json:"finish_reason"`
	Usage          state.Usage          `json:"usage"`
	Cost           *state.Cost          `json:"cost,omitempty"` // what it cost and at what price; absent when unpriced
	RequestHash    string               `json:"request_hash"`
	RequestID      string               `json:"request_id,omitempty"`
	Request        json.RawMessage      `json:"request,omitempty"`
	Response       json.RawMessage      `json:"response,omitempty"`
	Output         string               `json:"output"`
	Result         json.RawMessage      `json:"result,omitempty"`
	ToolCalls      []state.ToolCall     `json:"tool_calls"`
	Rounds         []jsonRound          `json:"rounds"`
	ModelAttempts  []state.ModelAttempt `json:"model_attempts"`
	SchemaAttempts int                  `json:"schema_attempts,omitempty"`
	Failed         string               `json:"failed,omitempty"`
	Asserts        []state.Assert       `json:"asserts"`
	StartedAt      time.Time            `json:"started_at"`
	DurationMS     int64                `json:"duration_ms"`
	Attempts       int                  `json:"attempts"`
}

type jsonRound struct {
	ToolCalls []state.ToolCall   `json:"tool_calls"`
	Results   []state.ToolResult `json:"results"`
}

// toJSONStep is a recorded step instance as show -json and state show
// -json print it, sensitive parts redacted.
func toJSONStep(rec *state.Step) jsonStep {
	s := shownInstance(rec)
	js := jsonStep{
		Address: s.Address, Name: s.Name, Key: s.Key, Sample: s.Sample, Each: s.Each, Model: s.Model, Offline: s.Offline, Sensitive: s.Sensitive,
		FinishReason: s.FinishReason, Usage: s.Usage, Cost: roundedCost(s.Cost), RequestHash: s.RequestHash, RequestID: s.RequestID,
		Request: s.Request, Response: s.Response, Output: s.Output, Result: s.Result,
		ToolCalls: emptyIfNil(s.ToolCalls), Rounds: []jsonRound{}, ModelAttempts: emptyIfNil(s.ModelAttempts),
		SchemaAttempts: s.SchemaAttempts, Failed: s.Failed, Asserts: emptyIfNil(s.Asserts),
		StartedAt: s.StartedAt, DurationMS: s.DurationMS, Attempts: s.Attempts,
	}
	for _, r := range s.Rounds {
		js.Rounds = append(js.Rounds, jsonRound{ToolCalls: emptyIfNil(r.ToolCalls), Results: emptyIfNil(r.Results)})
	}
	return js
}

// roundedCost is c with its USD rounded for JSON, or nil.
func roundedCost(c *state.Cost) *state.Cost {
	if c == nil {
		return nil
	}
	r := *c
	r.USD = planner.RoundUSD(r.USD)
	return &r
}

// shownInstance is shownStep with, for a sensitive record, its each.value
// and its assert messages redacted as well: either may hold a value the
// request used.
func shownInstance(rec *state.Step) *state.Step {
	s := shownStep(rec)
	if !rec.Sensitive {
		return s
	}
	if len(s.Each) > 0 {
		s.Each = sensitiveJSON
	}
	if rec.Asserts != nil {
		s.Asserts = make([]state.Assert, len(rec.Asserts))
		for i, a := range rec.Asserts {
			a.Message = redacted(a.Message)
			s.Asserts[i] = a
		}
	}
	return s
}

func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
