package main

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// row is one line of the table: a measured case and its target checks.
type row struct {
	name      string
	instances int
	calls     int
	u         usage
	// inProcess marks the ceiling, which runs in this process: its CPU is
	// this process's own (client and fake) and its RSS is not measured.
	inProcess bool
	// ceiling is the ceiling's throughput in calls/s, for the ratio; 0
	// leaves the column empty.
	ceiling float64
	checks  []check
}

// check is one target: a label such as "≤ 0.5 s" and whether it is met.
type check struct {
	label string
	ok    bool
}

// rate returns the row's calls per second, or 0 without calls.
func (r row) rate() float64 {
	if r.calls == 0 || r.u.wall <= 0 {
		return 0
	}
	return float64(r.calls) / r.u.wall.Seconds()
}

// header is the table's first line.
var header = []string{"case", "instances", "calls", "wall", "calls/s", "CPU (user+sys)",
	"CPU/call", "peak RSS", "vs ceiling", "target", "ok"}

// cells returns the row's columns, in the order of header.
func (r row) cells() []string {
	c := []string{r.name, itoa(r.instances), itoa(r.calls), seconds(r.u.wall), "—", "—", "—", "—", "—", "—", ""}
	if rate := r.rate(); rate > 0 {
		c[4] = fmt.Sprintf("%.0f", rate)
	}
	if r.u.cpu > 0 {
		c[5] = seconds(r.u.cpu)
		if r.inProcess {
			c[5] += " *"
		}
	}
	if r.calls > 0 && r.u.cpu > 0 {
		c[6] = perCall(r.u.cpu / time.Duration(r.calls))
	}
	if r.u.rss > 0 {
		c[7] = mebibytes(r.u.rss)
	}
	if r.ceiling > 0 && r.rate() > 0 {
		c[8] = fmt.Sprintf("%.0f%%", 100*r.rate()/r.ceiling)
	}
	if len(r.checks) > 0 {
		c[9], c[10] = r.verdict()
	}
	return c
}

// verdict returns the target column (each label, marked when there are
// several) and ✓ when every check is met, else ✗.
func (r row) verdict() (string, string) {
	all := true
	var labels []string
	for _, c := range r.checks {
		all = all && c.ok
		l := c.label
		if len(r.checks) > 1 {
			l += " " + mark(c.ok)
		}
		labels = append(labels, l)
	}
	return strings.Join(labels, "; "), mark(all)
}

// mark returns ✓ or ✗.
func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// printTable writes rows as a Markdown table, its columns padded to line
// up in a terminal.
func printTable(w io.Writer, rows []row) error {
	lines := [][]string{header, nil}
	for _, r := range rows {
		lines = append(lines, r.cells())
	}
	width := make([]int, len(header))
	for _, cells := range lines {
		for i, c := range cells {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, cells := range lines {
		for i := range header {
			if cells == nil {
				b.WriteString("|" + strings.Repeat("-", width[i]+2))
				continue
			}
			b.WriteString("| " + cells[i] + strings.Repeat(" ", width[i]-utf8.RuneCountInString(cells[i])) + " ")
		}
		b.WriteString("|\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
