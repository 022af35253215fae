package cli

import (
	"bytes"
	"encoding/json"
	"github.com/promptform/promptform/addrs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// report is what promptform report shows: totals, pass rates per step and
// assert (then and now with a baseline), and one row per recorded answer.
type report struct {
	Source      string // the state file reported on
	Baseline    string // the baseline state file, or "" without one
	Totals      reportTotals
	Steps       []reportStep // in the order of the graph
	Changes     reportChanges
	Rows        []reportRow // in the order of the graph, then by key and sample
	HasBaseline bool
}

// reportTotals are the totals over every recorded answer.
type reportTotals struct {
	Rows, Steps, Bad, StepFailed int
	Usage                        state.Usage
	ModelTokens                  []modelTokens // by model name
	Spend                        spend         // what the recorded answers cost
	BaseSpend                    spend         // what the baseline's cost, with one
	Latency                      time.Duration // the sum of every call's duration
	Wall                         time.Duration // first start to last finish
}

// CostChange is how the cost of the recorded answers changed from the
// baseline's: "+$0.0012", "-$1.50"; "" when either side has no price.
func (t reportTotals) CostChange() string {
	if t.Spend.usdJSON() == nil || t.BaseSpend.usdJSON() == nil {
		return ""
	}
	return usdDelta(t.Spend.USD - t.BaseSpend.USD)
}

// modelTokens is the token count of one model.
type modelTokens struct {
	Model  string
	Tokens int
}

// reportChanges counts what changed against the baseline.
type reportChanges struct {
	Regressions, Fixes, Changed, OnlyBase, OnlyNow int
}

// reportStep is a step's pass rates: its instances' (an instance passes
// when it did not fail and every assert of it passed), then each
// assert's, in the order they are declared.
type reportStep struct {
	Step      string
	Instances reportRate
	Asserts   []reportRate
}

// Recorded reports whether the state records answers of the step (it may
// be in the baseline only).
func (s reportStep) Recorded() bool { return s.Instances.Now.total > 0 }

// reportRate is a pass count now and, with a baseline, then.
type reportRate struct {
	Name      string // the assert's name, or "" for the step's instances
	Now, Base passCount
	HasBase   bool
}

// reportRow is one recorded answer as the page's script reads it. Texts
// of a sensitive record are redacted before they get here.
type reportRow struct {
	Address      string         `json:"address"`
	Step         string         `json:"step"`
	Key          string         `json:"key"`
	Inputs       string         `json:"inputs"`
	Output       string         `json:"output"`
	Failed       string         `json:"failed,omitempty"`
	Asserts      []reportAssert `json:"asserts"`
	Model        string         `json:"model"`
	InputTokens  int            `json:"input_tokens"`
	OutputTokens int            `json:"output_tokens"`
	Tokens       int            `json:"tokens"`
	CostUSD      *float64       `json:"cost_usd"`                // null when unpriced; 0 offline
	Price        string         `json:"price,omitempty"`         // the price it cost at, and where it came from
	BaseCostUSD  *float64       `json:"base_cost_usd,omitempty"` // the baseline's answer's cost, when it is known
	LatencyMS    int64          `json:"latency_ms"`
	Sensitive    bool           `json:"sensitive,omitempty"`
	Bad          bool           `json:"bad"` // the answer was refused or an assert failed
	Marks        []reportMark   `json:"marks"`
	Was          string         `json:"was,omitempty"` // the baseline's output, when it changed
}

// reportAssert is one assert's score for one answer.
type reportAssert struct {
	Name    string `json:"name"`
	Passed  bool   `json:"passed"`
	Message string `json:"message,omitempty"`
}

// reportMark is what changed in a row against the baseline: Kind is
// "regressed" or "fixed" (Assert names the assert, or is empty when the
// answer itself was refused on one side), "changed" (the output or
// result differs) or "new" (not in the baseline).
type reportMark struct {
	Kind    string `json:"kind"`
	Assert  string `json:"assert,omitempty"`
	Message string `json:"message,omitempty"`
}

// buildReport builds the report of now, compared with base when it is not
// nil; rank orders the steps (see stepRanks).
func buildReport(now, base *state.State, rank map[string]int) *report {
	r := &report{HasBaseline: base != nil}
	if base == nil {
		base = &state.State{}
	}
	c := compareStates(base, now, rank)
	r.Changes = reportChanges{len(c.regressions), len(c.fixes), len(c.changed), c.onlyBase, c.onlyNow}
	for _, sr := range c.steps {
		r.Steps = append(r.Steps, newReportStep(sr, r.HasBaseline))
	}
	marks := changeMarks(c)
	addresses := now.Addresses()
	sortInstances(addresses, rank)
	for _, addr := range addresses {
		rec := now.Steps[addr]
		row := newReportRow(addr, rec)
		row.Marks = emptyIfNil(marks[addr])
		if r.HasBaseline {
			row.addBaseline(base.Steps[addr], rec)
		}
		r.Rows = append(r.Rows, row)
	}
	r.Totals = reportTotalsOf(now, r.Rows)
	r.Totals.BaseSpend = stateSpend(base)
	return r
}

// newReportStep is a step's rates as the report shows them.
func newReportStep(sr *stepRates, hasBase bool) reportStep {
	s := reportStep{Step: sr.step, Instances: reportRate{Now: sr.now, Base: sr.base, HasBase: hasBase}}
	for _, a := range sr.asserts {
		s.Asserts = append(s.Asserts, reportRate{Name: a.name, Now: a.now, Base: a.base, HasBase: hasBase})
	}
	return s
}

// changeMarks are the regressions, fixes and changed outputs of c by
// instance address.
func changeMarks(c *comparison) map[string][]reportMark {
	marks := map[string][]reportMark{}
	for _, ch := range c.regressions {
		marks[ch.address] = append(marks[ch.address], reportMark{Kind: "regressed", Assert: ch.assert, Message: ch.message})
	}
	for _, ch := range c.fixes {
		marks[ch.address] = append(marks[ch.address], reportMark{Kind: "fixed", Assert: ch.assert, Message: ch.message})
	}
	for _, ch := range c.changed {
		marks[ch.address] = append(marks[ch.address], reportMark{Kind: "changed"})
	}
	return marks
}

// newReportRow is one recorded answer as a row; a sensitive record shows
// none of its texts.
func newReportRow(addr string, rec *state.Step) reportRow {
	row := reportRow{
		Address: addr, Step: addrs.StepOf(addr), Key: keyText(rec.Key), Model: rec.Model,
		InputTokens: rec.Usage.InputTokens, OutputTokens: rec.Usage.OutputTokens, Tokens: rec.Usage.TotalTokens,
		CostUSD: recordUSD(rec), LatencyMS: rec.DurationMS, Sensitive: rec.Sensitive, Bad: rec.Failed != "",
		Inputs: inputsText(rec.Each), Output: answerText(rec), Failed: rec.Failed, Asserts: []reportAssert{},
	}
	if rec.Cost != nil {
		row.Price = priceText(rec.Cost.Price) + ", " + rec.Cost.Price.Source
	}
	for _, a := range rec.Asserts {
		row.Asserts = append(row.Asserts, reportAssert{Name: a.Name, Passed: a.Passed, Message: a.Message})
		row.Bad = row.Bad || !a.Passed
	}
	if rec.Sensitive {
		row.redact()
	}
	return row
}

// redact replaces every text of the row that may hold a sensitive value.
func (row *reportRow) redact() {
	row.Inputs, row.Output, row.Failed = redacted(row.Inputs), redacted(row.Output), redacted(row.Failed)
	for i := range row.Asserts {
		row.Asserts[i].Message = redacted(row.Asserts[i].Message)
	}
}

// redacted is s with its text hidden: empty stays empty.
func redacted(s string) string {
	if s == "" {
		return ""
	}
	return planner.SensitiveText
}

// addBaseline marks a row not in the baseline as new, and keeps the
// baseline's answer of a changed one. When either side is sensitive, the
// marks keep no message and the baseline's answer stays out.
func (row *reportRow) addBaseline(then, now *state.Step) {
	if then != nil {
		row.BaseCostUSD = recordUSD(then)
	}
	switch {
	case then == nil:
		row.Marks = append(row.Marks, reportMark{Kind: "new"})
	case then.Sensitive || now.Sensitive:
		for i := range row.Marks {
			row.Marks[i].Message = redacted(row.Marks[i].Message)
		}
	case slices.ContainsFunc(row.Marks, func(m reportMark) bool { return m.Kind == "changed" }):
		row.Was = answerText(then)
	}
}

// recordUSD is what a record cost in USD: nil when it has no price, 0
// for the offline model's.
func recordUSD(rec *state.Step) *float64 {
	switch {
	case rec.Cost != nil:
		usd := planner.RoundUSD(rec.Cost.USD)
		return &usd
	case rec.Offline:
		return new(float64)
	}
	return nil
}

// keyText spells an instance key as the address does: a string quoted, a
// number as it is.
func keyText(key json.RawMessage) string {
	var s string
	if json.Unmarshal(key, &s) == nil {
		return strconv.Quote(s)
	}
	return string(key)
}

// inputsText is an instance's each.value for reading: a string as it is,
// anything else as JSON on one line when it is short, else indented.
func inputsText(each json.RawMessage) string {
	if len(each) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(each, &s) == nil {
		return s
	}
	var compact bytes.Buffer
	if json.Compact(&compact, each) == nil && compact.Len() <= 80 {
		return compact.String()
	}
	return prettyJSON(each)
}

// answerText is what a record answered: its result as indented JSON, or
// its text, or its tool calls.
func answerText(rec *state.Step) string {
	if len(rec.Result) > 0 {
		return prettyJSON(rec.Result)
	}
	if rec.Output != "" || len(rec.ToolCalls) == 0 {
		return rec.Output
	}
	calls := make([]string, len(rec.ToolCalls))
	for i, c := range rec.ToolCalls {
		calls[i] = toolCallText(c)
	}
	return strings.Join(calls, "\n")
}

// reportTotalsOf adds up the rows of st.
func reportTotalsOf(st *state.State, rows []reportRow) reportTotals {
	t := reportTotals{Rows: len(rows)}
	steps, models := map[string]bool{}, map[string]int{}
	var first, last time.Time
	for _, row := range rows {
		rec := st.Steps[row.Address]
		steps[row.Step] = true
		if row.Bad {
			t.Bad++
		}
		if rec.Failed != "" {
			t.StepFailed++
		}
		t.Usage.InputTokens += rec.Usage.InputTokens
		t.Usage.OutputTokens += rec.Usage.OutputTokens
		t.Usage.TotalTokens += rec.Usage.TotalTokens
		t.Spend.add(rec)
		models[rec.Model] += rec.Usage.TotalTokens
		d := time.Duration(rec.DurationMS) * time.Millisecond
		t.Latency += d
		if rec.StartedAt.IsZero() {
			continue
		}
		if first.IsZero() || rec.StartedAt.Before(first) {
			first = rec.StartedAt
		}
		if end := rec.StartedAt.Add(d); end.After(last) {
			last = end
		}
	}
	t.Steps, t.Wall = len(steps), last.Sub(first)
	for m, n := range models {
		t.ModelTokens = append(t.ModelTokens, modelTokens{Model: m, Tokens: n})
	}
	slices.SortFunc(t.ModelTokens, func(a, b modelTokens) int { return strings.Compare(a.Model, b.Model) })
	return t
}
