package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// userRequest is a request of one user message.
func userRequest(prompt string) *gateway.Request {
	return &gateway.Request{Model: "m", Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent(prompt)}}}
}

// rerunChange is a rerun of addr whose prompt changes from before to after.
func rerunChange(t *testing.T, addr, before, after string) *planner.Change {
	t.Helper()
	b, err := json.Marshal(userRequest(before))
	if err != nil {
		t.Fatal(err)
	}
	return &planner.Change{Address: addr, Action: planner.Rerun, Reason: "prompt changed",
		Prior: &state.Step{Address: addr, Request: b}, Request: userRequest(after)}
}

// markdownOf renders changes as show -markdown would for the file p.plan.
func markdownOf(changes ...*planner.Change) string {
	return planMarkdown(&planner.Plan{Changes: changes, Filter: &planner.Filter{}}).render("p.plan")
}

func TestMarkdownSmallPlan(t *testing.T) {
	t.Parallel()
	p := &planner.Plan{Filter: &planner.Filter{},
		Changes: []*planner.Change{
			rerunChange(t, "step.a", "Say hi.\nBe brief.", "Say hello.\nBe brief."),
			{Address: "step.k", Action: planner.Keep, Reason: "unchanged"},
			{Address: "step.n", Action: planner.Run, Reason: "new", Request: userRequest("Count to 3.")},
			{Address: "step.old", Action: planner.Drop, Reason: "no longer in the configuration"},
		},
		Moves:         []planner.MovedRecord{{From: "step.x", Rec: &state.Step{Address: "step.y"}}},
		OutputChanges: []planner.OutputChange{{Name: "o", Action: planner.OutputCreate, After: cty.StringVal("hi")}},
	}
	got := planMarkdown(p).render("p.plan")
	want := "### promptform plan\n\n" +
		"Plan: 1 to run, 1 to rerun, 1 to drop, 1 kept.\n\n" +
		"- step.x has moved to step.y\n\n" +
		"| Action | Address | Reason |\n| --- | --- | --- |\n" +
		"| ~ rerun | `step.a` | prompt changed |\n" +
		"| + run | `step.n` | new |\n" +
		"| - drop | `step.old` | no longer in the configuration |\n" +
		"| + create | `output.o` | = \"hi\" |\n\n" +
		"<details><summary><code>step.a</code> — prompt changed</summary>\n\n" +
		"```diff\n--- recorded\n+++ planned\n@@ -1,5 +1,5 @@\n model = \"m\"\n message 1 (user):\n-  Say hi.\n+  Say hello.\n   Be brief.\n```\n\n</details>\n\n" +
		"<details><summary><code>step.n</code> — new</summary>\n\n" +
		"```text\nmodel = \"m\"\nmessage 1 (user):\n  Count to 3.\n```\n\n</details>\n"
	if got != want {
		t.Errorf("wrong Markdown\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestMarkdownNoChanges(t *testing.T) {
	t.Parallel()
	got := markdownOf(&planner.Change{Address: "step.a", Action: planner.Keep, Reason: "unchanged"})
	want := "### promptform plan\n\nNo changes. Every step's request is unchanged, so its recorded response will be reused (1 in all).\n"
	if got != want {
		t.Errorf("wrong Markdown\ngot:  %q\nwant: %q", got, want)
	}
}

// longPrompt is lines lines of text, each naming i and version.
func longPrompt(i, lines int, version string) string {
	var sb strings.Builder
	for l := range lines {
		fmt.Fprintf(&sb, "Instance %d, line %d of the %s prompt, which is long enough to fill a comment.\n", i, l, version)
	}
	return sb.String()
}

var omittedRe = regexp.MustCompile(`_(?:([0-9,]+) more changes?)?(?: and )?(?:([0-9,]+) requests?)? (?:is|are) not shown: the comment would pass GitHub's 65,536-character limit\. Run ` + "`promptform show p.plan`" + ` for all of it\._\n$`)

func TestMarkdownBudget(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		changes, lines int
		allRows        bool // every row fits; only requests are left out
	}{
		"500 long diffs":       {changes: 500, lines: 30, allRows: true},
		"3,000 changed steps":  {changes: 3000, lines: 1},
		"one diff over budget": {changes: 1, lines: 1200, allRows: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var changes []*planner.Change
			for i := range tc.changes {
				changes = append(changes, rerunChange(t, fmt.Sprintf("step.s[%d]", i), longPrompt(i, tc.lines, "old"), longPrompt(i, tc.lines, "new")))
			}
			got := markdownOf(changes...)
			if len(got) >= commentLimit {
				t.Fatalf("the comment is %d characters, want under %d", len(got), commentLimit)
			}
			m := omittedRe.FindStringSubmatch(got)
			if m == nil {
				t.Fatalf("no note of what was left out at the end:\n%s", got[max(len(got)-500, 0):])
			}
			rows := strings.Count(got, "\n| ~ rerun | ")
			blocks := strings.Count(got, "\n<details>")
			if n := rows + atoi(t, m[1]); n != tc.changes {
				t.Errorf("%d rows shown and %s left out, want %d in all", rows, m[1], tc.changes)
			}
			if n := blocks + atoi(t, m[2]); n != tc.changes {
				t.Errorf("%d requests shown and %s left out, want %d in all", blocks, m[2], tc.changes)
			}
			if tc.allRows != (m[1] == "") {
				t.Errorf("left out %q rows; want every row shown: %v", m[1], tc.allRows)
			}
			if room := commentLimit - len(got); tc.changes > 1 && room > 8000 {
				t.Errorf("the comment leaves %d characters unused: the budget is not filled", room)
			}
		})
	}
}

// TestMarkdownBudgetLead moves 3,000 steps: the list of moves is cut
// where the budget ends, and so are the table and the requests after it.
func TestMarkdownBudgetLead(t *testing.T) {
	t.Parallel()
	p := &planner.Plan{Filter: &planner.Filter{}, Changes: []*planner.Change{rerunChange(t, "step.a", "x", "y")}}
	for i := range 3000 {
		p.Moves = append(p.Moves, planner.MovedRecord{From: fmt.Sprintf("step.old%d", i), Rec: &state.Step{Address: fmt.Sprintf("step.new%d", i)}})
	}
	got := planMarkdown(p).render("p.plan")
	if len(got) >= commentLimit {
		t.Fatalf("the comment is %d characters, want under %d", len(got), commentLimit)
	}
	if !strings.HasPrefix(got, "### promptform plan\n\nPlan: 0 to run, 1 to rerun, 0 to drop, 0 kept.\n\n- step.old0 has moved to step.new0\n") {
		t.Errorf("wrong start:\n%s", got[:min(len(got), 300)])
	}
	m := regexp.MustCompile(`\n_([0-9,]+) summary lines, 1 more change and 1 request are not shown: `).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no note of what was left out at the end:\n%s", got[max(len(got)-500, 0):])
	}
	if shown := strings.Count(got, "\n- step.old"); shown+atoi(t, m[1]) != 3000 {
		t.Errorf("%d moves shown and %s left out, want 3000 in all", shown, m[1])
	}
}

// atoi reads a count as the note spells it; "" is 0.
func atoi(t *testing.T, s string) int {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMarkdownEscaping(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ got, want string }{
		"code":                {mdCode("step.a"), "`step.a`"},
		"code with backticks": {mdCode("step.a[\"x``y\"]"), "```step.a[\"x``y\"]```"},
		"code at a backtick":  {mdCode("`x"), "`` `x ``"},
		"text":                {mdText("<b>*x*</b> & $1 [l](u) `c`"), "\\<b\\>\\*x\\*\\</b\\> \\& \\$1 \\[l\\](u) \\`c\\`"},
		"row": {tableRow("~ rerun", mdCode(`step.a["a|b"]`), mdText("why | not\nnow")),
			"| ~ rerun | `step.a[\"a\\|b\"]` | why \\| not now |\n"},
	}
	for name, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: wrong Markdown\ngot:  %s\nwant: %s", name, tc.got, tc.want)
		}
	}
	c := rerunChange(t, "step.a[\"p|q`r\"]", "x", "y")
	c.Reason = "a | b"
	got := markdownOf(c)
	if row := "| ~ rerun | ``step.a[\"p\\|q`r\"]`` | a \\| b |\n"; !strings.Contains(got, row) {
		t.Errorf("no escaped row %q in:\n%s", row, got)
	}
	if summary := "<summary><code>step.a[&#34;p|q`r&#34;]</code> — a | b</summary>"; !strings.Contains(got, summary) {
		t.Errorf("no escaped summary %q in:\n%s", summary, got)
	}
}

func TestMarkdownFences(t *testing.T) {
	t.Parallel()
	got := markdownOf(
		rerunChange(t, "step.a", "Answer in:\n```\ncode\n```", "Answer in:\n````go\ncode\n````"),
		&planner.Change{Address: "step.b", Action: planner.Run, Reason: "new", Request: userRequest("```\n</details>\n```")},
	)
	blocks := regexp.MustCompile("(?s)\n(`{3,})(diff|text)\n(.*?)\n</details>\n").FindAllStringSubmatch(got, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d fenced blocks, want 2:\n%s", len(blocks), got)
	}
	for _, b := range blocks {
		fence, lines := b[1], strings.Split(strings.TrimRight(b[3], "\n"), "\n")
		for i, l := range lines {
			closes := strings.HasPrefix(strings.TrimLeft(l, " "), fence) && strings.Trim(l, " `") == ""
			if last := i == len(lines)-1; closes != last {
				t.Errorf("fence %s: line %d %q closes it: %v, want %v:\n%s", fence, i, l, closes, last, b[0])
			}
		}
	}
	if !strings.Contains(got, "\n`````diff\n") {
		t.Errorf("the diff that holds ```` is not fenced with five backticks:\n%s", got)
	}
}

func TestMarkdownSensitive(t *testing.T) {
	t.Parallel()
	recorded := rerunChange(t, "step.login", "Is hunter2-SECRET strong?", "Is hunter3-SECRET strong?")
	recorded.Prior.Sensitive = true
	planned := &planner.Change{Address: "step.new", Action: planner.Run, Reason: "new", Request: userRequest("Is hunter4-SECRET strong?"),
		Rendered: &planner.Rendered{Messages: []planner.RenderedMessage{{Role: "user", Sensitive: true}}}}
	got := markdownOf(recorded, planned)
	if strings.Contains(got, "SECRET") {
		t.Errorf("a sensitive request is shown:\n%s", got)
	}
	for _, want := range []string{"`step.login` — prompt changed: the request is not shown (sensitive).", "`step.new` — new: the request is not shown (sensitive)."} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
}

// TestShowMarkdownCount500 plans a rerun of 500 instances whose prompts
// all changed and shows it as Markdown: under GitHub's limit, every row
// shown, the requests that do not fit counted in the note.
func TestShowMarkdownCount500(t *testing.T) {
	t.Parallel()
	const src = `
model "m" { id = "claude-haiku-4-5-20251001" }
step "s" {
  count  = 500
  model  = model.m
  prompt = "Summarise item ${count.index} in VERSION words.\nKeep the tone of the original.\nEnd with a question."
}
`
	dir := t.TempDir()
	write := func(version string) {
		if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(strings.ReplaceAll(src, "VERSION", version)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ten")
	mustRun(t, dir, "apply", "-auto-approve", "-offline")
	write("twenty")
	planFile := filepath.Join(dir, "pr.plan") // -chdir leaves relative paths to the process's directory
	mustRun(t, dir, "plan", "-offline", "-out="+planFile)
	got := mustRun(t, dir, "show", "-markdown", planFile)
	if len(got) >= commentLimit {
		t.Fatalf("the comment is %d characters, want under %d", len(got), commentLimit)
	}
	if !strings.HasPrefix(got, "### promptform plan\n\nPlan: 0 to run, 500 to rerun, 0 to drop, 0 kept.\n") {
		t.Errorf("wrong start:\n%s", got[:min(len(got), 300)])
	}
	if rows := strings.Count(got, "\n| ~ rerun | `step.s["); rows != 500 {
		t.Errorf("%d rows, want 500", rows)
	}
	m := regexp.MustCompile(`\n_([0-9,]+) requests are not shown: the comment would pass GitHub's 65,536-character limit\. Run ` +
		regexp.QuoteMeta(mdCode("promptform show "+planFile)) + ` for all of it\._\n$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no note of the requests left out at the end:\n%s", got[max(len(got)-500, 0):])
	}
	if shown := strings.Count(got, "\n<details>"); shown+atoi(t, m[1]) != 500 || shown == 0 {
		t.Errorf("%d diffs shown and %s left out, want some shown and 500 in all", shown, m[1])
	}
	if !strings.Contains(got, "-  Summarise item 0 in ten words.\n+  Summarise item 0 in twenty words.\n") {
		t.Errorf("no diff of step.s[0]'s prompt in:\n%s", got[:min(len(got), 2000)])
	}
}
