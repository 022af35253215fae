package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// testView is a view base on buffers, built without a command.
func testView(color, compact bool) (v *viewBase, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	v = &viewBase{
		stdout: stdout, stderr: stderr, paint: painter{color: color},
		files: func() map[string]*hcl.File { return nil }, width: 78, compact: compact,
	}
	return v, stdout, stderr
}

// TestViewsOwnTheirSettings shows that a view renders with the streams,
// colour and -compact-warnings it was built with, whatever another view
// in the same process holds.
func TestViewsOwnTheirSettings(t *testing.T) {
	warn := hcl.Diagnostics{{
		Severity: hcl.DiagWarning, Summary: "Unused variable",
		Subject: &hcl.Range{Filename: "main.pf.hcl", Start: hcl.Pos{Line: 3, Column: 1}, End: hcl.Pos{Line: 3, Column: 5}},
	}}
	plain, plainOut, plainErr := testView(false, true)
	coloured, _, colouredErr := testView(true, false)
	plain.diags(warn)
	coloured.diags(warn)
	if got, want := plainErr.String(), "\nWarnings:\n  - Unused variable (main.pf.hcl:3)\n\n"; got != want {
		t.Errorf("compact, no colour: stderr = %q, want %q", got, want)
	}
	if plainOut.Len() != 0 {
		t.Errorf("diagnostics went to stdout: %q", plainOut.String())
	}
	if got := colouredErr.String(); !strings.Contains(got, "\x1b[") || !strings.Contains(got, ": Unused variable") || strings.Contains(got, "Warnings:") {
		t.Errorf("full, coloured: stderr = %q, want a coloured full warning", got)
	}
}

// TestStateRmViewWritesToItsStdout shows a command view writing only to
// the stream it owns.
func TestStateRmViewWritesToItsStdout(t *testing.T) {
	v, stdout, stderr := testView(false, false)
	stateRmView{v}.removed([]string{"step.a", "step.b[0]"})
	want := "Removed step.a\nRemoved step.b[0]\nSuccessfully removed 2 instance(s).\n"
	if stdout.String() != want || stderr.Len() != 0 {
		t.Errorf("stdout = %q, stderr = %q; want stdout %q and nothing on stderr", stdout, stderr, want)
	}
}
