package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"
)

// viewBase is what every view of a command shares: the streams it writes
// to, its colour, and what it needs to render diagnostics (the parser's
// files for source snippets, the terminal's width, -compact-warnings).
// A command builds it once, after its flags are parsed.
type viewBase struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stdinTTY       bool // confirmation prompts can be answered
	stderrTTY      bool // streamed text can be shown live
	paint          painter
	files          func() map[string]*hcl.File // the parsed files, read when diagnostics are written
	width          int                         // the width diagnostics wrap at
	compact        bool                        // -compact-warnings: warnings as one line each
}

// view returns the view base of the command, with its streams and its
// settings as the flags left them.
func (m *Meta) view() *viewBase {
	return &viewBase{
		stdin: m.Stdin, stdout: m.Stdout, stderr: m.Stderr,
		stdinTTY: m.StdinTTY, stderrTTY: m.StderrTTY, paint: painter{color: m.Color},
		files: func() map[string]*hcl.File {
			if m.parser == nil {
				return map[string]*hcl.File{}
			}
			return m.parser.Files()
		},
		width:   termWidth(m.Stderr),
		compact: m.compact,
	}
}

// termWidth is the width to wrap text at on w: the terminal's less two, or
// 78 when w is not a terminal.
func termWidth(w io.Writer) int {
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			return cols - 2
		}
	}
	return 78
}

// diags writes diagnostics on stderr with source snippets, sorted by
// position; with -compact-warnings the warnings come last, one line each.
func (v *viewBase) diags(diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	w := v.stderr
	wr := hcl.NewDiagnosticTextWriter(w, v.files(), uint(v.width), v.paint.color)
	var compact []string
	for _, d := range sortedDiags(diags) {
		if v.compact && d.Severity == hcl.DiagWarning {
			compact = append(compact, compactWarning(d))
			continue
		}
		wr.WriteDiagnostic(d)
	}
	if len(compact) > 0 {
		fmt.Fprintf(w, "\n%s\n", v.paint.yellow("Warnings:"))
		for _, line := range compact {
			fmt.Fprintf(w, "  - %s\n", line)
		}
		fmt.Fprintln(w)
	}
}

// fail writes one error diagnostic and returns exit code 1.
func (v *viewBase) fail(summary, detail string) int {
	v.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}})
	return 1
}

// jsonDocument writes doc on stdout as indented JSON, HTML characters as
// they are, and returns the exit code.
func (v *viewBase) jsonDocument(doc any) int {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return v.fail("Cannot encode JSON", err.Error())
	}
	fmt.Fprint(v.stdout, sb.String())
	return 0
}
