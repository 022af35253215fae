package cli

import (
	"fmt"
	"html"
	"strings"

	"github.com/promptform/promptform/planner"
)

// commentLimit is the most characters GitHub takes in a pull-request
// comment; show -markdown stays under it.
const commentLimit = 65536

// savedPlanMarkdown shows a saved plan on stdout as GitHub-flavoured
// Markdown, for a pull-request comment.
type savedPlanMarkdown struct{ *viewBase }

// plan prints the plan that path holds, within commentLimit.
func (v savedPlanMarkdown) plan(path string, p *planner.Plan) {
	fmt.Fprint(v.stdout, planMarkdown(p).render(path))
}

// stale warns, on stderr, that the plan can no longer be applied, and
// prints its changes as the file records them, without their requests.
func (v savedPlanMarkdown) stale(path, why string, sp *planner.SavedPlan) {
	v.diags(staleDiags(path, why))
	doc := markdownDoc{lead: []string{
		"**Stale plan:** " + mdText(fmt.Sprintf("it can no longer be applied: %s. It is shown as recorded.", why)),
		recordedSummary(sp),
	}}
	if sp.Cost != nil {
		doc.lead = append(doc.lead, costMarkdown(costLines(*sp.Cost))...)
	}
	for _, c := range sp.Changes {
		if c.Action != planner.Keep.String() {
			doc.rows = append(doc.rows, tableRow(actionSymbol(c.Action)+" "+c.Action, mdCode(c.Address), mdText(c.Reason)))
		}
	}
	fmt.Fprint(v.stdout, doc.render(path))
}

// markdownDoc is a plan as a comment shows it: lead paragraphs, which are
// always shown, then table rows, then collapsed request blocks, as many of
// each as fit. Each row and block is Markdown, ending with a newline.
type markdownDoc struct {
	lead   []string
	rows   []string
	blocks []string
}

// planMarkdown is p as a comment shows it: its summary and cost, its moves,
// a row per change of a step instance or an output, and a block per request
// that can be shown.
func planMarkdown(p *planner.Plan) markdownDoc {
	if !p.HasChanges() {
		var sb strings.Builder
		planText{&sb, painter{}}.write(p)
		return markdownDoc{lead: []string{mdText(strings.TrimSpace(sb.String()))}}
	}
	doc := markdownDoc{lead: []string{planText{painter: painter{}}.planSummary(p)}}
	doc.lead = append(doc.lead, costMarkdown(costLines(p.Cost))...)
	doc.lead = append(doc.lead, movesMarkdown(p.Moves)...)
	for _, c := range p.Changes {
		if c.Action == planner.Keep {
			continue
		}
		doc.rows = append(doc.rows, tableRow(strings.TrimSpace(c.Action.Symbol())+" "+c.Action.String(), mdCode(c.Address), mdText(c.Reason)))
		if b := requestBlock(c); b != "" {
			doc.blocks = append(doc.blocks, b)
		}
	}
	for _, oc := range p.OutputChanges {
		doc.rows = append(doc.rows, outputRow(oc))
	}
	return doc
}

// costMarkdown is the plan's cost lines as a paragraph: the "Cost:" line,
// then a list item per further line.
func costMarkdown(lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	para := mdText(lines[0])
	for _, l := range lines[1:] {
		para += "\n- " + mdText(strings.TrimSpace(l))
	}
	return []string{para}
}

// movesMarkdown lists the moves as the plan prints them, one list item per
// moved block.
func movesMarkdown(moves []planner.MovedRecord) []string {
	if len(moves) == 0 {
		return nil
	}
	var sb strings.Builder
	planText{&sb, painter{}}.printMoves(moves)
	var items []string
	for _, l := range strings.Split(strings.TrimSpace(sb.String()), "\n") {
		items = append(items, "- "+mdText(strings.TrimSpace(l)))
	}
	return []string{strings.Join(items, "\n")}
}

// outputRow is the table row of an output change: its value before and
// after, as the plan prints them.
func outputRow(oc planner.OutputChange) string {
	before, after := shownOutput(oc.Before, oc.Sensitive), shownOutput(oc.After, oc.Sensitive)
	action, change := "~ update", before+" -> "+after
	switch oc.Action {
	case planner.OutputCreate:
		action, change = "+ create", "= "+after
	case planner.OutputDelete:
		action, change = "- delete", before+" -> null"
	}
	return tableRow(action, mdCode("output."+oc.Name), mdText(change))
}

// requestBlock is the collapsed request of a change: the diff of a rerun,
// the request of a new instance when it is known, a line that says a
// sensitive one is not shown, or "" for none.
func requestBlock(c *planner.Change) string {
	if c.Action != planner.Run && c.Action != planner.Rerun {
		return ""
	}
	text, lang := c.Diff(), "diff"
	if text == "" && c.Action == planner.Run && c.Request != nil {
		text, lang = planner.RequestText(c.Request), "text"
	}
	switch {
	case text == "":
		return ""
	case (c.Rendered != nil && c.Rendered.Sensitive()) || (c.Prior != nil && c.Prior.Sensitive):
		return fmt.Sprintf("\n%s — %s: the request is not shown (sensitive).\n", mdCode(c.Address), mdText(c.Reason))
	}
	text = strings.TrimSuffix(strings.TrimRight(text, "\n"), "\n ") // less difflib's context line for the final newline
	fence := codeFence(text)
	return fmt.Sprintf("\n<details><summary><code>%s</code> — %s</summary>\n\n%s%s\n%s\n%s\n\n</details>\n",
		html.EscapeString(c.Address), html.EscapeString(c.Reason), fence, lang, text, fence)
}

const tableHead = "\n| Action | Address | Reason |\n| --- | --- | --- |\n"

// render writes the document under commentLimit: the heading, then the
// lead's lines, then the rows, in order while they fit, then each block
// that fits, and a note of what was left out. A row is worth more than a
// block, so the blocks give way first.
func (d markdownDoc) render(path string) string {
	var lead []string // a paragraph's first line starts with a blank line
	for _, para := range d.lead {
		for i, line := range strings.Split(para, "\n") {
			if i == 0 {
				line = "\n" + line
			}
			lead = append(lead, line+"\n")
		}
	}
	w := &commentWriter{budget: commentLimit - 1 - len(omittedNote(path, len(lead), len(d.rows), len(d.blocks)))}
	w.write("### promptform plan\n")
	leadShown, rows, blocks := w.prefix(lead), 0, 0
	if leadShown == len(lead) && len(d.rows) > 0 && w.write(tableHead) {
		rows = w.prefix(d.rows)
	}
	for _, b := range d.blocks {
		if rows == len(d.rows) && w.write(b) {
			blocks++
		}
	}
	w.sb.WriteString(omittedNote(path, len(lead)-leadShown, len(d.rows)-rows, len(d.blocks)-blocks))
	return w.sb.String()
}

// commentWriter writes Markdown within a budget of characters.
type commentWriter struct {
	sb     strings.Builder
	budget int // what is left
}

// write writes s if it fits in what is left, and reports whether it did.
func (w *commentWriter) write(s string) bool {
	if len(s) > w.budget {
		return false
	}
	w.budget -= len(s)
	w.sb.WriteString(s)
	return true
}

// prefix writes the items of list while they fit and returns how many it
// wrote.
func (w *commentWriter) prefix(list []string) int {
	for i, s := range list {
		if !w.write(s) {
			return i
		}
	}
	return len(list)
}

// omittedNote says how many lines of the lead, rows and blocks were left
// out, and where to see them; "" when none was.
func omittedNote(path string, lead, rows, blocks int) string {
	var parts []string
	if lead > 0 {
		parts = append(parts, count(lead, "summary line"))
	}
	if rows > 0 {
		parts = append(parts, count(rows, "more change"))
	}
	if blocks > 0 {
		parts = append(parts, count(blocks, "request"))
	}
	if len(parts) == 0 {
		return ""
	}
	what, verb := parts[len(parts)-1], "are"
	if len(parts) > 1 {
		what = strings.Join(parts[:len(parts)-1], ", ") + " and " + what
	}
	if lead+rows+blocks == 1 {
		verb = "is"
	}
	return fmt.Sprintf("\n_%s %s not shown: the comment would pass GitHub's %s-character limit. Run %s for all of it._\n",
		what, verb, num(commentLimit), mdCode("promptform show "+path))
}

// tableRow is a row of the changes table, its cells already Markdown:
// each is put on one line and its pipes are escaped, inside code spans as
// well (GitHub splits the row before it reads the cells).
func tableRow(cells ...string) string {
	for i, c := range cells {
		c = strings.Join(strings.FieldsFunc(c, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// mdText escapes the characters of s that Markdown would read as
// formatting or HTML; a table cell escapes its pipes itself.
func mdText(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>~#!&$", r) {
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// mdCode is s as a code span, delimited by one backtick more than the
// longest run of backticks in it, and padded with spaces when it starts or
// ends with one.
func mdCode(s string) string {
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return delim + s + delim
}

// codeFence is a fence for a code block of text that no line of text can
// close: three backticks, or one more than its longest run of them.
func codeFence(text string) string {
	return strings.Repeat("`", max(3, longestRun(text, '`')+1))
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			n = 0
			continue
		}
		n++
		longest = max(longest, n)
	}
	return longest
}
