package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/promptform/promptform/state"
)

// reportAttack is an answer that would run script if the page let it.
const reportAttack = `</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">`

// reportGradeState is a made-up evaluation: n instances of step.grade with the
// asserts correct and short, and ten of step.summarize without asserts.
// The baseline (base true) fails correct on other rows and answered some
// rows differently. It returns the state and how many step.grade rows
// failed (an assert failed or the answer was refused).
func reportGradeState(n int, base bool) (*state.State, int) {
	st, bad := state.New(), 0
	for i := range n {
		output := fmt.Sprintf("answer %d", i)
		switch {
		case i == 5:
			output = reportAttack
		case i == 123:
			output = "the needle-123 is here"
		case base && i%13 == 0:
			output = fmt.Sprintf("old answer %d", i)
		}
		wrong := i%7 == 0
		if base {
			wrong = i%5 == 0
		}
		correct, short := okAssert("correct"), okAssert("short")
		if wrong {
			correct = badAssert("correct", "wrong answer")
		}
		if i%11 == 0 {
			short = badAssert("short", "too long")
		}
		rec := evalRecord("grade", fmt.Sprintf("r%05d", i), output, correct, short)
		rec.Each = json.RawMessage(fmt.Sprintf(`{"q":"question %d","variant":"v%d"}`, i, i%2))
		rec.Usage = state.Usage{InputTokens: 10, OutputTokens: (i * 7919) % 1000, TotalTokens: 10 + (i*7919)%1000}
		rec.DurationMS = int64(100 + (i*31)%5000)
		if !base && i%97 == 0 {
			rec.Failed = "postcondition: the grade is not a number"
		}
		if rec.Failed != "" || wrong || i%11 == 0 {
			bad++
		}
		st.Steps[rec.Address] = rec
	}
	for i := range 10 {
		rec := evalRecord("summarize", fmt.Sprint(i), "summary")
		st.Steps[rec.Address] = rec
	}
	return st, bad
}

// newReportBrowser starts headless chromium for the test, or skips the test
// when chromium is not installed.
func newReportBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed: the report's browser test needs it (apt-get install -y chromium)")
	}
	// A guard against a hung browser, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// reportTab is one report page open in a tab of the browser.
type reportTab struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	bad []string // the page's console errors and exceptions
}

// openReport opens the report at path in a new tab, and fails the test
// when the page writes an error or throws.
func openReport(t *testing.T, browser context.Context, path string) *reportTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tab := &reportTab{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				tab.mu.Lock()
				tab.bad = append(tab.bad, m.String())
				tab.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tab.mu.Lock()
		defer tab.mu.Unlock()
		for _, m := range tab.bad {
			t.Errorf("the page's console: %s", m)
		}
	})
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	tab.do(chromedp.Navigate(u.String()))
	// The page's script runs before the load event: the table is there, or
	// it never will be.
	if !evalJS[bool](tab, `"total" in document.getElementById("count").dataset`) {
		t.Fatalf("the page's script did not fill the table")
	}
	return tab
}

// do runs actions in the tab, failing the test on an error.
func (tab *reportTab) do(actions ...chromedp.Action[chromedp.Void]) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, actions...); err != nil {
		tab.t.Fatalf("browser: %v", err)
	}
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](tab *reportTab, expr string) T {
	tab.t.Helper()
	v, err := chromedp.Run(tab.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tab.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// counter returns the rows the counter says are shown, of how many.
func (tab *reportTab) counter() (shown, total int) {
	tab.t.Helper()
	c := evalJS[[2]int](tab, `(() => { const d = document.getElementById("count").dataset; return [+d.shown, +d.total]; })()`)
	return c[0], c[1]
}

// waitShown waits until the counter says n rows are shown, and fails the
// test with what it says when that does not come.
func (tab *reportTab) waitShown(n int) {
	tab.t.Helper()
	expr := fmt.Sprintf(`document.getElementById("count").dataset.shown === "%d"`, n)
	if _, err := chromedp.Run(tab.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		shown, total := tab.counter()
		tab.t.Fatalf("the counter shows %d of %d rows, want %d shown (%v)", shown, total, n, err)
	}
}

// shownRows returns the addresses of the table's rows on the page.
func (tab *reportTab) shownRows() []string {
	tab.t.Helper()
	return evalJS[[]string](tab, `Array.from(document.querySelectorAll("#rows tbody tr"), tr => tr.dataset.address)`)
}

// choose picks value in the select element with the id.
func (tab *reportTab) choose(id, value string) {
	tab.t.Helper()
	evalJS[chromedp.Void](tab, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); })()`, id, value))
}

func TestReportInBrowser(t *testing.T) {
	browser := newReportBrowser(t)
	t.Run("1,000 rows", func(t *testing.T) {
		now, bad := reportGradeState(1000, false)
		base, _ := reportGradeState(1000, true)
		code, out, dir := runReportIn(t, now, base, "-out=$DIR/r.html", "-baseline=$DIR/base.json")
		if code != 0 {
			t.Fatalf("report: exit %d: %s", code, out)
		}
		tab := openReport(t, browser, filepath.Join(dir, "r.html"))
		checkReportChart(t, tab)
		checkReportStepRows(t, tab, bad)
		checkReportSorting(t, tab)
		checkReportFilters(t, tab, bad)
	})
	t.Run("10,000 rows", func(t *testing.T) {
		now, bad := reportGradeState(10000, false)
		code, out, dir := runReportIn(t, now, nil, "-out=$DIR/r.html")
		if code != 0 {
			t.Fatalf("report: exit %d: %s", code, out)
		}
		tab := openReport(t, browser, filepath.Join(dir, "r.html"))
		if shown, total := tab.counter(); shown != 10010 || total != 10010 {
			t.Errorf("the counter shows %d of %d rows, want 10010 of 10010", shown, total)
		}
		if n := len(tab.shownRows()); n != 100 {
			t.Errorf("the table has %d rows on its first page, want 100", n)
		}
		tab.do(chromedp.Click(chromedp.CSS("#failed-only")))
		tab.waitShown(bad)
		tab.do(chromedp.SendKeys(chromedp.ID("filter"), "r09998"))
		tab.waitShown(0) // step.grade["r09998"] passed
		tab.do(chromedp.Click(chromedp.CSS("#failed-only")))
		tab.waitShown(1)
	})
}

// checkReportChart checks that the chart has a bar for each step's instances and
// each assert, with the baseline's tick on each.
func checkReportChart(t *testing.T, tab *reportTab) {
	t.Helper()
	bars := evalJS[[]float64](tab, `Array.from(document.querySelectorAll("#chart rect.bar"), r => r.getBBox().width)`)
	// step.grade, its asserts correct and short, step.summarize.
	if len(bars) != 4 || bars[3] != 360 || bars[0] <= 0 || bars[0] >= 360 {
		t.Errorf("chart bar widths %v, want 4 bars, the last full (360) and the first neither empty nor full", bars)
	}
	if n := evalJS[int](tab, `document.querySelectorAll("#chart rect.base").length`); n != 4 {
		t.Errorf("the chart has %d baseline ticks, want 4", n)
	}
}

// checkReportStepRows checks the rows of step.grade: 1,000 in the data and on
// the counter, and that no answer ran as script.
func checkReportStepRows(t *testing.T, tab *reportTab, bad int) {
	t.Helper()
	if shown, total := tab.counter(); shown != 1010 || total != 1010 {
		t.Errorf("the counter shows %d of %d rows, want 1010 of 1010", shown, total)
	}
	inData := evalJS[int](tab, `JSON.parse(document.getElementById("report-data").textContent).rows.filter(r => r.step === "step.grade").length`)
	if inData != 1000 {
		t.Errorf("the data holds %d rows of step.grade, want 1000", inData)
	}
	tab.choose("step", "step.grade")
	tab.waitShown(1000)
	if pwned := evalJS[bool](tab, `window.pwned !== undefined`); pwned {
		t.Errorf("an answer ran as script")
	}
	text := evalJS[string](tab, `Array.from(document.querySelectorAll("#rows tbody tr")).find(tr => tr.dataset.address === 'step.grade["r00005"]').cells[3].textContent`)
	if text != reportAttack {
		t.Errorf("the answer shows as %q, want the text %q", text, reportAttack)
	}
}

// checkReportSorting checks that a click on the tokens header sorts the rows by
// tokens, most first, and a second click reverses them.
func checkReportSorting(t *testing.T, tab *reportTab) {
	t.Helper()
	before := tab.shownRows()
	tokens := `Array.from(document.querySelectorAll("#rows tbody tr td:nth-child(7)"), td => +td.textContent.replace(/,/g, ""))`
	tab.do(chromedp.Click(chromedp.CSS(`th[data-col="tokens"] button`)))
	after, desc := tab.shownRows(), evalJS[[]int](tab, tokens)
	if slices.Equal(before, after) {
		t.Errorf("sorting by tokens left the rows in their order: %v", after[:5])
	}
	if !slices.IsSortedFunc(desc, func(a, b int) int { return b - a }) || desc[0] != 1009 {
		t.Errorf("after a click on Tokens, the tokens are %v..., want most first (1009)", desc[:5])
	}
	tab.do(chromedp.Click(chromedp.CSS(`th[data-col="tokens"] button`)))
	if asc := evalJS[[]int](tab, tokens); !slices.IsSorted(asc) || asc[0] != 10 {
		t.Errorf("after a second click, the tokens are %v..., want fewest first (10)", asc[:5])
	}
	if got := evalJS[string](tab, `document.querySelector('th[data-col="tokens"]').getAttribute("aria-sort")`); got != "ascending" {
		t.Errorf("the tokens header is sorted %q, want ascending", got)
	}
}

// checkReportFilters checks the failed-only and text filters and the baseline's
// change filter on step.grade.
func checkReportFilters(t *testing.T, tab *reportTab, bad int) {
	t.Helper()
	tab.do(chromedp.Click(chromedp.CSS("#failed-only")))
	tab.waitShown(bad)
	if n := len(tab.shownRows()); n != min(bad, 100) {
		t.Errorf("the failed-only table shows %d rows, want %d", n, min(bad, 100))
	}
	if n := evalJS[int](tab, `document.querySelectorAll("#rows tbody tr:not(.bad)").length`); n != 0 {
		t.Errorf("the failed-only table shows %d rows that did not fail", n)
	}
	tab.do(chromedp.Click(chromedp.CSS("#failed-only")))
	tab.waitShown(1000)
	tab.do(chromedp.SendKeys(chromedp.ID("filter"), "NEEDLE-123"))
	tab.waitShown(1)
	if rows := tab.shownRows(); len(rows) != 1 || rows[0] != `step.grade["r00123"]` {
		t.Errorf("the text filter shows %v, want step.grade[\"r00123\"]", rows)
	}
	evalJS[chromedp.Void](tab, `(() => { const f = document.getElementById("filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`)
	tab.waitShown(1000)
	// Regressions: correct failed now but passed then (i%7 == 0, i%5 != 0),
	// and the answers refused now (i%97 == 0).
	regressed := 0
	for i := range 1000 {
		if (i%7 == 0 && i%5 != 0) || i%97 == 0 {
			regressed++
		}
	}
	tab.choose("change", "regressed")
	tab.waitShown(regressed)
}
