package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// evalRecord is one made-up answer of step.NAME["key"].
func evalRecord(name, key, output string, asserts ...state.Assert) *state.Step {
	k, _ := json.Marshal(key)
	return &state.Step{
		Address: fmt.Sprintf("step.%s[%q]", name, key), Name: name, Key: k,
		Each: json.RawMessage(fmt.Sprintf(`{"q":"question %s"}`, key)), Output: output,
		Model: "model-a", Usage: state.Usage{InputTokens: 5, OutputTokens: 7, TotalTokens: 12},
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DurationMS: 250, Asserts: asserts,
	}
}

// evalState is a state of the records, keyed by their addresses.
func evalState(recs ...*state.Step) *state.State {
	st := state.New()
	for _, r := range recs {
		st.Steps[r.Address] = r
	}
	return st
}

func okAssert(name string) state.Assert { return state.Assert{Name: name, Passed: true} }

func badAssert(name, msg string) state.Assert { return state.Assert{Name: name, Message: msg} }

// runReportIn saves st (and base, when not nil, as base.json) in a new
// directory beside a bad.json that is not state, runs
// promptform report there with args and returns the exit code, the output
// of both streams and the directory.
func runReportIn(t *testing.T, st, base *state.State, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	if st != nil {
		if err := st.Save(state.Path(dir)); err != nil {
			t.Fatal(err)
		}
	}
	if base != nil {
		if err := base.Save(filepath.Join(dir, "base.json")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"version": 1, "steps": `), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "$DIR", dir)
	}
	ctx := context.Background()
	code := Run(ctx, ctx, append([]string{"-chdir=" + dir, "report"}, args...), Streams{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out})
	return code, out.String(), dir
}

// reportRows decodes the rows embedded in a report page.
func reportRows(t *testing.T, page string) []reportRow {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="report-data" type="application/json">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no report data in the page")
	}
	var d reportData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("report data: %v", err)
	}
	return d.Rows
}

func TestReportEscapesAnswers(t *testing.T) {
	t.Parallel()
	const attack = `</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`
	rec := evalRecord("a", "<b>k</b>", attack, badAssert("ok", "bad: "+attack))
	rec.Model = "<i>m</i>"
	code, out, dir := runReportIn(t, evalState(rec), nil, "-out=$DIR/r.html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, bad := range []string{"<script>alert", "<img src=x", "<b>k</b>", "<i>m</i>"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "</script>"); n != 2 {
		t.Errorf("the page has %d </script> tags, want 2 (the data and the script)", n)
	}
	rows := reportRows(t, page)
	if len(rows) != 1 || rows[0].Output != attack || rows[0].Asserts[0].Message != "bad: "+attack || rows[0].Key != `"<b>k</b>"` {
		t.Errorf("the data does not decode to the texts as they are: %+v", rows)
	}
}

func TestReportRedactsSensitive(t *testing.T) {
	t.Parallel()
	rec := evalRecord("a", "k", "secret-output", badAssert("ok", "secret-message"))
	rec.Sensitive, rec.Failed = true, "secret-failure"
	rec.Each = json.RawMessage(`"secret-input"`)
	rec.Result = json.RawMessage(`{"x":"secret-result"}`)
	then := evalRecord("a", "k", "secret-then", okAssert("ok"))
	plain := evalRecord("a", "p", "plain-output", okAssert("ok"))
	code, out, dir := runReportIn(t, evalState(rec, plain), evalState(then, plain), "-out=$DIR/r.html", "-baseline=$DIR/base.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("secret")); i >= 0 {
		t.Errorf("the page shows a sensitive text: %s", b[max(0, i-80):min(len(b), i+40)])
	}
	rows := reportRows(t, string(b))
	want := reportRow{
		Address: `step.a["k"]`, Step: "step.a", Key: `"k"`, Inputs: planner.SensitiveText, Output: planner.SensitiveText,
		Failed: planner.SensitiveText, Asserts: []reportAssert{{Name: "ok", Message: planner.SensitiveText}},
		Model: "model-a", InputTokens: 5, OutputTokens: 7, Tokens: 12, LatencyMS: 250, Sensitive: true, Bad: true,
		Marks: []reportMark{{Kind: "regressed", Message: planner.SensitiveText}, {Kind: "regressed", Assert: "ok", Message: planner.SensitiveText}, {Kind: "changed"}},
	}
	if diff := cmp.Diff(want, rows[0]); diff != "" {
		t.Errorf("wrong sensitive row (-want +got):\n%s", diff)
	}
	if rows[1].Output != "plain-output" {
		t.Errorf("a plain row lost its output: %+v", rows[1])
	}
}

func TestReportBaselineDeltas(t *testing.T) {
	t.Parallel()
	base := evalState(
		evalRecord("g", "a", "same", okAssert("ok")),
		evalRecord("g", "b", "same", badAssert("ok", "was wrong")),
		evalRecord("g", "c", "before", okAssert("ok")),
		evalRecord("g", "gone", "x", okAssert("ok")),
	)
	now := evalState(
		evalRecord("g", "a", "same", badAssert("ok", "now wrong")),
		evalRecord("g", "b", "same", okAssert("ok")),
		evalRecord("g", "c", "after", okAssert("ok")),
		evalRecord("g", "new", "x", badAssert("ok", "new and wrong")),
	)
	r := buildReport(now, base, nil)
	marks := map[string][]reportMark{}
	for _, row := range r.Rows {
		marks[row.Key] = row.Marks
	}
	wantMarks := map[string][]reportMark{
		`"a"`:   {{Kind: "regressed", Assert: "ok", Message: "now wrong"}},
		`"b"`:   {{Kind: "fixed", Assert: "ok", Message: "was wrong"}},
		`"c"`:   {{Kind: "changed"}},
		`"new"`: {{Kind: "new"}},
	}
	if diff := cmp.Diff(wantMarks, marks); diff != "" {
		t.Errorf("wrong marks (-want +got):\n%s", diff)
	}
	if r.Rows[2].Was != "before" {
		t.Errorf("changed row: was %q, want %q", r.Rows[2].Was, "before")
	}
	if want := (reportChanges{Regressions: 1, Fixes: 1, Changed: 1, OnlyBase: 1, OnlyNow: 1}); r.Changes != want {
		t.Errorf("wrong changes\ngot:  %+v\nwant: %+v", r.Changes, want)
	}
	ok := r.Steps[0].Asserts[0]
	if got, want := [4]int{ok.Base.passed, ok.Base.total, ok.Now.passed, ok.Now.total}, [4]int{3, 4, 2, 4}; got != want {
		t.Errorf("wrong assert counts (base passed, total, now passed, total)\ngot:  %v\nwant: %v", got, want)
	}
	if got, want := ok.DeltaText(), "−25.0 pts"; got != want {
		t.Errorf("wrong delta\ngot:  %s\nwant: %s", got, want)
	}
	if got, want := ok.DeltaClass(), "down"; got != want {
		t.Errorf("wrong delta class\ngot:  %s\nwant: %s", got, want)
	}
}

// A row whose step failed in the baseline and that now fails an assert is
// marked regressed, not fixed; the refused answer passes none of the
// step's asserts in the baseline's rate.
func TestReportBaselineRefused(t *testing.T) {
	t.Parallel()
	refused := evalRecord("g", "b", "same")
	refused.Failed = "postcondition: no"
	base := evalState(evalRecord("g", "a", "same", okAssert("ok")), refused)
	now := evalState(
		evalRecord("g", "a", "same", okAssert("ok")),
		evalRecord("g", "b", "same", badAssert("ok", "now wrong")),
	)
	r := buildReport(now, base, nil)
	want := []reportMark{{Kind: "regressed", Assert: "ok", Message: "now wrong"}}
	if diff := cmp.Diff(want, r.Rows[1].Marks); diff != "" {
		t.Errorf("wrong marks of %s (-want +got):\n%s", r.Rows[1].Address, diff)
	}
	if want := (reportChanges{Regressions: 1}); r.Changes != want {
		t.Errorf("wrong changes\ngot:  %+v\nwant: %+v", r.Changes, want)
	}
	ok := r.Steps[0].Asserts[0]
	if got, want := [4]int{ok.Base.passed, ok.Base.total, ok.Now.passed, ok.Now.total}, [4]int{1, 2, 1, 2}; got != want {
		t.Errorf("wrong assert counts (base passed, total, now passed, total)\ngot:  %v\nwant: %v", got, want)
	}
}

func TestReportDeltaText(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		rate       reportRate
		want, kind string
	}{
		"no baseline": {reportRate{Now: passCount{1, 2}}, "", "same"},
		"up":          {reportRate{Now: passCount{3, 4}, Base: passCount{1, 2}, HasBase: true}, "+25.0 pts", "up"},
		"same":        {reportRate{Now: passCount{2, 4}, Base: passCount{1, 2}, HasBase: true}, "±0 pts", "same"},
		"new":         {reportRate{Now: passCount{2, 4}, HasBase: true}, "new", "same"},
		"gone":        {reportRate{Base: passCount{2, 4}, HasBase: true}, "gone", "same"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.rate.DeltaText(); got != tt.want {
				t.Errorf("wrong delta\ngot:  %q\nwant: %q", got, tt.want)
			}
			if got := tt.rate.DeltaClass(); got != tt.kind {
				t.Errorf("wrong class\ngot:  %q\nwant: %q", got, tt.kind)
			}
		})
	}
}

func TestReportErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		recorded bool // the state records an answer
		args     []string
		want     string
	}{
		"empty state":      {false, nil, "Error: Nothing to report"},
		"missing baseline": {true, []string{"-baseline=$DIR/nope.json"}, "nope.json does not exist"},
		"bad baseline":     {true, []string{"-baseline=$DIR/.promptform"}, "is a directory"},
		"invalid baseline": {true, []string{"-baseline=$DIR/bad.json"}, "not valid state JSON"},
		"baseline advice":  {true, []string{"-baseline=$DIR/bad.json"}, "edited by hand. Write the baseline again from the state to compare with"},
		"unwritable out":   {true, []string{"-out=$DIR/no/such/dir/r.html"}, "Error: Cannot write the report"},
		"argument":         {true, []string{"extra"}, `unexpected argument "extra"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var st *state.State
			if tt.recorded {
				st = evalState(evalRecord("a", "k", "x"))
			}
			args := tt.args
			if !strings.HasPrefix(name, "unwritable") {
				args = append(args, "-out=$DIR/report.html")
			}
			code, out, dir := runReportIn(t, st, nil, args...)
			if code != 1 || !strings.Contains(strings.Join(strings.Fields(out), " "), tt.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit 1 and %q", code, out, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
				t.Errorf("a report was written")
			}
		})
	}
}

// pricedRecord is evalRecord with a cost.
func pricedRecord(name, key string, usd float64) *state.Step {
	rec := evalRecord(name, key, "x", okAssert("ok"))
	rec.Cost = &state.Cost{USD: usd, Price: state.Price{Input: 1.1, Output: 5.5, Source: "catalog (us)"}}
	return rec
}

// The report shows each row's cost and the total, then and now with a
// baseline; an unpriced row is shown as such, not as free.
func TestReportCost(t *testing.T) {
	t.Parallel()
	offline := evalRecord("g", "off", "x")
	offline.Offline = true
	now := evalState(pricedRecord("g", "a", 0.00123), pricedRecord("g", "b", 2.5), evalRecord("g", "u", "x"), offline)
	base := evalState(pricedRecord("g", "a", 0.001), pricedRecord("g", "b", 1))
	code, out, dir := runReportIn(t, now, base, "-out=$DIR/r.html", "-baseline=$DIR/base.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := html.UnescapeString(strings.Join(strings.Fields(string(b)), " "))
	for _, want := range []string{
		`<dt>Cost</dt><dd id="total-cost">$2.50 + 1 unpriced</dd>`,
		`2 instances priced; 1 unpriced, not counted<br>baseline: $1.00, +$1.50</dd>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	type rowCost struct {
		Key       string
		Now, Base *float64
		Price     string
	}
	f := func(x float64) *float64 { return &x }
	var got []rowCost
	for _, r := range reportRows(t, string(b)) {
		got = append(got, rowCost{r.Key, r.CostUSD, r.BaseCostUSD, r.Price})
	}
	price := "$1.10/$5.50 per million tokens, catalog (us)"
	want := []rowCost{
		{`"a"`, f(0.00123), f(0.001), price},
		{`"b"`, f(2.5), f(1), price},
		{`"off"`, f(0), nil, ""},
		{`"u"`, nil, nil, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrong row costs (-want +got):\n%s", diff)
	}
}

// The cost column spells amounts as the command line does.
func TestReportCostInBrowser(t *testing.T) {
	browser := newReportBrowser(t)
	now := evalState(pricedRecord("g", "a", 0.00123), pricedRecord("g", "b", 1234.5), evalRecord("g", "u", "x"))
	code, out, dir := runReportIn(t, now, nil, "-out=$DIR/r.html")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, out)
	}
	tab := openReport(t, browser, filepath.Join(dir, "r.html"))
	cells := evalJS[[]string](tab, `Array.from(document.querySelectorAll("#rows tbody tr"), tr => tr.cells[7].textContent)`)
	if want := []string{"$0.00123", "$1,234.50", "unpriced"}; !cmp.Equal(cells, want) {
		t.Errorf("wrong cost cells\ngot:  %q\nwant: %q", cells, want)
	}
	head := evalJS[string](tab, `document.querySelector("#rows thead th:nth-child(8)").textContent`)
	if head != "Cost" {
		t.Errorf("the eighth column is %q, want Cost", head)
	}
}
