package fmtcmd

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
	"github.com/pmezard/go-difflib/difflib"
)

// diagWidth is where the diagnostic writer wraps detail text.
const diagWidth = 78

// writeDiagnostics renders the collected diagnostics to w, sorted by file,
// line and column, with source snippets from the parsed files.
func (c *command) writeDiagnostics(w io.Writer) {
	if len(c.diags) == 0 {
		return
	}
	diags := append(hcl.Diagnostics(nil), c.diags...)
	sort.SliceStable(diags, func(i, j int) bool {
		return lessRange(diags[i].Subject, diags[j].Subject)
	})
	wr := hcl.NewDiagnosticTextWriter(w, c.files, diagWidth, c.color && isTerminal(w))
	_ = wr.WriteDiagnostics(diags) // nowhere left to report a failed write to stderr
}

// lessRange orders diagnostic subjects; those without one come first.
func lessRange(a, b *hcl.Range) bool {
	switch {
	case a == nil || b == nil:
		return a == nil && b != nil
	case a.Filename != b.Filename:
		return a.Filename < b.Filename
	case a.Start.Line != b.Start.Line:
		return a.Start.Line < b.Start.Line
	default:
		return a.Start.Column < b.Start.Column
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// unifiedDiff returns the unified diff from before to after of the file shown
// as name, with "a/" and "b/" headers as git writes them.
func unifiedDiff(name string, before, after []byte) string {
	slash := strings.TrimPrefix(filepath.ToSlash(name), "/")
	d := difflib.UnifiedDiff{
		A:        diffLines(before),
		B:        diffLines(after),
		FromFile: "a/" + slash,
		ToFile:   "b/" + slash,
		Context:  3,
	}
	s, _ := difflib.GetUnifiedDiffString(d) // a strings.Builder never fails
	return s
}

// diffLines splits b into lines that keep their "\n"; a last line without one
// is marked as diff and patch expect.
func diffLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	last := len(lines) - 1
	if lines[last] == "" {
		return lines[:last]
	}
	lines[last] += "\n\\ No newline at end of file\n"
	return lines
}
