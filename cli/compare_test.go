package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/promptform/promptform/addrs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/promptform/promptform/state"
)

func TestSortInstances(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   []string
		rank map[string]int
		want []string
	}{
		"count indexes as numbers, samples by index": {
			in:   []string{"step.a[10]", "step.a[2]#10", "step.a[2]#2", "step.a[2]", "step.a[1]"},
			want: []string{"step.a[1]", "step.a[2]", "step.a[2]#2", "step.a[2]#10", "step.a[10]"},
		},
		"string keys by address": {
			in:   []string{`step.a["b"]`, `step.a["a"]#1`, `step.a["a"]`},
			want: []string{`step.a["a"]`, `step.a["a"]#1`, `step.a["b"]`},
		},
		"steps by rank, unknown ones last by address": {
			in:   []string{"step.z", "step.a", "step.gone", "step.m[1]"},
			rank: map[string]int{"step.z": 0, "step.m": 1, "step.a": 2},
			want: []string{"step.z", "step.m[1]", "step.a", "step.gone"},
		},
		"modules": {
			in:   []string{`module.m["y"].step.a[0]`, `module.m["x"].step.a[0]#1`, `module.m["x"].step.a[0]`},
			want: []string{`module.m["x"].step.a[0]`, `module.m["x"].step.a[0]#1`, `module.m["y"].step.a[0]`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := append([]string(nil), tc.in...)
			sortInstances(got, tc.rank)
			if g, w := strings.Join(got, " "), strings.Join(tc.want, " "); g != w {
				t.Errorf("wrong order\ngot:  %s\nwant: %s", g, w)
			}
		})
	}
}

func TestStepOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`step.a`:                    "step.a",
		`step.a["k#2"]#3`:           "step.a",
		`step.a[0]#1`:               "step.a",
		`module.m["x"].step.b[0]#2`: `module.m["x"].step.b`,
		`not an address`:            "not an address",
	} {
		if got := addrs.StepOf(in); got != want {
			t.Errorf("addrs.StepOf(%s) = %s, want %s", in, got, want)
		}
	}
}

// compareRec is a record for the comparison tests: asserts are NAME or !NAME
// (failed, with the message "NAME fails").
func compareRec(addr, output, failed string, asserts ...string) *state.Step {
	s := &state.Step{Address: addr, Output: output, Failed: failed}
	for _, a := range asserts {
		name, failedAssert := strings.CutPrefix(a, "!")
		as := state.Assert{Name: name, Passed: !failedAssert}
		if failedAssert {
			as.Message = name + " fails"
		}
		s.Asserts = append(s.Asserts, as)
	}
	return s
}

func compareState(recs ...*state.Step) *state.State {
	st := state.New()
	for _, r := range recs {
		st.Steps[r.Address] = r
	}
	return st
}

func TestCompareStates(t *testing.T) {
	t.Parallel()
	base := compareState(
		compareRec("step.a[0]", "x", "", "ok", "exact"),
		compareRec("step.a[0]#1", "x", "", "ok", "!exact"),
		compareRec("step.a[1]", "y", "", "ok", "exact"),
		compareRec("step.a[2]", "z", "", "old"),
		compareRec("step.b", "b", "postcondition: no"),
		compareRec("step.c", "c", ""),
	)
	now := compareState(
		compareRec("step.a[0]", "x", "", "!ok", "exact"),
		compareRec("step.a[0]#1", "x", "", "ok", "exact"),
		compareRec("step.a[1]", "y2", "", "ok", "exact", "!new"),
		compareRec("step.a[3]", "w", "", "ok", "exact"),
		compareRec("step.b", "b", ""),
		compareRec("step.c", "c", "postcondition: too long"),
	)
	base.Steps["step.c"].Result = json.RawMessage(`{"a": 1}`)
	now.Steps["step.c"].Result = json.RawMessage(`{"a":1}`)
	c := compareStates(base, now, nil)

	var got []string
	for _, s := range c.steps {
		got = append(got, fmt.Sprintf("%s %d/%d -> %d/%d", s.step, s.base.passed, s.base.total, s.now.passed, s.now.total))
		for _, a := range s.asserts {
			got = append(got, fmt.Sprintf("  %s %d/%d -> %d/%d", a.name, a.base.passed, a.base.total, a.now.passed, a.now.total))
		}
	}
	for _, ch := range c.regressions {
		got = append(got, fmt.Sprintf("regression %s %q: %s", ch.address, ch.assert, ch.message))
	}
	for _, ch := range c.fixes {
		got = append(got, fmt.Sprintf("fix %s %q: %s", ch.address, ch.assert, ch.message))
	}
	for _, o := range c.changed {
		got = append(got, "changed "+o.address)
	}
	got = append(got, fmt.Sprintf("both %d, only base %d, only now %d", c.inBoth, c.onlyBase, c.onlyNow))
	want := []string{
		"step.a 3/4 -> 2/4",
		"  ok 3/3 -> 3/4",
		"  exact 2/3 -> 4/4",
		"  new 0/0 -> 0/1",
		"  old 1/1 -> 0/0",
		"step.b 0/1 -> 1/1",
		"step.c 1/1 -> 0/1",
		`regression step.a[0] "ok": ok fails`,
		`regression step.c "": postcondition: too long`,
		`fix step.a[0]#1 "exact": exact fails`,
		`fix step.b "": postcondition: no`,
		"changed step.a[1]",
		"both 5, only base 1, only now 1",
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("wrong comparison\ngot:\n%s\nwant:\n%s", g, w)
	}
}

func TestDelta(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		base, now passCount
		want      string
	}{
		"fell":          {passCount{9, 10}, passCount{8, 10}, "-0.1"},
		"rose":          {passCount{1, 3}, passCount{2, 3}, "0.3333"},
		"no baseline":   {passCount{0, 0}, passCount{2, 3}, "none"},
		"none now":      {passCount{1, 1}, passCount{0, 0}, "none"},
		"same, rounded": {passCount{1, 3}, passCount{2, 6}, "0"},
	}
	for name, tc := range tests {
		d, ok := delta(tc.base, tc.now)
		got := "none"
		if ok {
			got = fmt.Sprint(d)
		}
		if got != tc.want {
			t.Errorf("%s: delta = %s, want %s", name, got, tc.want)
		}
	}
}

// An instance whose step failed in the baseline (its answer refused, so
// no assert scored) and now fails an assert is no fix: the assert did not
// fail before and fails now, a regression. It passes none of the asserts
// in the rates, so that they count every instance as the step does.
func TestCompareStatesFailedBaseline(t *testing.T) {
	t.Parallel()
	base := compareState(
		compareRec("step.a[0]", "x", "", "ok", "short"),
		compareRec("step.a[1]", "y", "postcondition: no"),
		compareRec("step.a[2]", "z", "postcondition: no"),
		compareRec("step.b", "b", "postcondition: no"),
	)
	now := compareState(
		compareRec("step.a[0]", "x", "", "ok", "short"),
		compareRec("step.a[1]", "y", "", "!ok", "short"),
		compareRec("step.a[2]", "z", "", "ok", "short"),
		compareRec("step.b", "b", "", "!new"),
	)
	c := compareStates(base, now, nil)
	var got []string
	for _, s := range c.steps {
		got = append(got, fmt.Sprintf("%s %d/%d -> %d/%d", s.step, s.base.passed, s.base.total, s.now.passed, s.now.total))
		for _, a := range s.asserts {
			got = append(got, fmt.Sprintf("  %s %d/%d -> %d/%d", a.name, a.base.passed, a.base.total, a.now.passed, a.now.total))
		}
	}
	for _, ch := range c.regressions {
		got = append(got, fmt.Sprintf("regression %s %q: %s (was %q)", ch.address, ch.assert, ch.message, ch.baseFailed))
	}
	for _, ch := range c.fixes {
		got = append(got, fmt.Sprintf("fix %s %q: %s", ch.address, ch.assert, ch.message))
	}
	want := []string{
		"step.a 1/3 -> 2/3",
		"  ok 1/3 -> 2/3",
		"  short 1/3 -> 3/3",
		"step.b 0/1 -> 0/1",
		"  new 0/0 -> 0/1",
		`regression step.a[1] "ok": ok fails (was "postcondition: no")`,
		`regression step.b "new": new fails (was "postcondition: no")`,
		`fix step.a[2] "": postcondition: no`,
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("wrong comparison\ngot:\n%s\nwant:\n%s", g, w)
	}
}

// A baseline that state refuses gets advice for a baseline: write it
// again, never the working state's "move it away" or "delete the entry".
func TestLoadBaselineAdvice(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		content, want string
	}{
		"not JSON":    {`{"version": 1, "steps": `, "is not valid state JSON"},
		"no lineage":  {`{"version": 1, "steps": {}}`, "has no lineage"},
		"no version":  {`{"lineage": "l", "steps": {}}`, "has no format version"},
		"no steps":    {`{"version": 1, "lineage": "l"}`, `has no "steps" object`},
		"null record": {`{"version": 1, "lineage": "l", "steps": {"step.a": null}}`, "is null"},
		"wrong address": {
			`{"version": 1, "lineage": "l", "steps": {"step.a": {"address": "step.b"}}}`, `has the address "step.b"`,
		},
		"null output": {`{"version": 1, "lineage": "l", "steps": {}, "outputs": {"o": null}}`, `the output "o"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "base.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, diags := loadBaseline(path)
			if !diags.HasErrors() {
				t.Fatalf("no error")
			}
			detail := diags[0].Detail
			for _, s := range []string{tt.want, "Write the baseline again from the state to compare with"} {
				if !strings.Contains(detail, s) {
					t.Errorf("detail does not say %q:\n%s", s, detail)
				}
			}
			for _, s := range []string{"move it away", "delete the entry", "Restore it", `set "`} {
				if strings.Contains(detail, s) {
					t.Errorf("detail says %q, advice for the working state:\n%s", s, detail)
				}
			}
		})
	}
}

// A baseline newer than this promptform keeps its advice: upgrade.
func TestLoadBaselineNewer(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "base.json")
	if err := os.WriteFile(path, []byte(`{"version": 99, "lineage": "l", "steps": {}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := loadBaseline(path)
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, "upgrade promptform.") {
		t.Errorf("want an error that says to upgrade, got %v", diags)
	}
}

// costRec is compareRec that cost usd; a negative usd leaves it unpriced.
func costRec(addr string, usd float64) *state.Step {
	rec := compareRec(addr, "x", "", "ok")
	if usd >= 0 {
		rec.Cost = &state.Cost{USD: usd, Price: state.Price{Input: 1, Output: 5, Source: "catalog (global)"}}
	}
	return rec
}

// compare shows what the recorded answers of each side cost, in text and
// in compare_summary; a side without any price is not counted as free.
func TestCompareCost(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		base, now *state.State
		wantText  string
		wantJSON  map[string]any
	}{
		"both priced": {
			base:     compareState(costRec("step.a[0]", 0.001), costRec("step.a[1]", 0.002)),
			now:      compareState(costRec("step.a[0]", 0.004), costRec("step.a[1]", 0.002), costRec("step.a[2]", 0.0005)),
			wantText: "Cost: $0.003 in the baseline, $0.0065 now (+$0.0035).",
			wantJSON: map[string]any{"baseline": 0.003, "now": 0.0065},
		},
		"an unpriced baseline": {
			base:     compareState(costRec("step.a[0]", -1)),
			now:      compareState(costRec("step.a[0]", 1.5), costRec("step.a[1]", -1)),
			wantText: "Cost: unpriced in the baseline, $1.50 + 1 unpriced now.",
			wantJSON: map[string]any{"baseline": nil, "now": 1.5},
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := compareStates(test.base, test.now, nil)
			var text bytes.Buffer
			newCompareView(false, &viewBase{stdout: &text, stderr: &bytes.Buffer{}}).comparison(c)
			if !strings.Contains(text.String(), "\n"+test.wantText+"\n") {
				t.Errorf("the text lacks %q:\n%s", test.wantText, text.String())
			}
			var events bytes.Buffer
			newCompareView(true, &viewBase{stdout: &events, stderr: &bytes.Buffer{}}).comparison(c)
			var summary map[string]any
			for line := range strings.Lines(events.String()) {
				var ev map[string]any
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("not JSON: %s", line)
				}
				if ev["type"] == "compare_summary" {
					summary = ev
				}
			}
			if diff := cmp.Diff(test.wantJSON, summary["cost_usd"], cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("wrong cost_usd (-want +got):\n%s", diff)
			}
		})
	}
}
