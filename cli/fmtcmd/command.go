// Package fmtcmd implements "promptform fmt", which rewrites configuration and
// variable files into the canonical layout, as "terraform fmt" does.
//
// The files formatted are *.pf.hcl, *.pftest.hcl and *.pfvars (all HCL native syntax). Files
// in HCL's JSON syntax (*.pf.json) are left alone. A file with syntax errors is
// never rewritten: its diagnostics are reported and the exit code is 1.
package fmtcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
)

const usage = `Usage: promptform [global options] fmt [options] [PATH...]

  Rewrites *.pf.hcl, *.pftest.hcl and *.pfvars files in the canonical format. With no PATH
  the working directory is formatted; a PATH may be a directory or a file.
  Files in JSON syntax (*.pf.json) are not changed.

Options:

  -check       Do not write; list the files that are not formatted and exit
               with status 1 if there are any.

  -diff        Print a unified diff of each change.

  -recursive   Also process subdirectories (hidden ones are skipped).

  -no-color    Accepted for consistency; fmt prints no colour.
`

// options are the command's flags.
type options struct {
	check     bool
	diff      bool
	recursive bool
}

// Run runs "promptform fmt" with args (the arguments after "fmt") in the
// working directory wd and returns the exit code: 0 on success, 1 on any error
// or, with -check, when a file is not formatted. Changed files are listed on
// stdout (and diffs printed there with -diff); diagnostics go to stderr,
// without colour.
func Run(args []string, wd string, stdout, stderr io.Writer) int {
	return RunColor(args, wd, stdout, stderr, false)
}

// RunColor is Run with colour on the diagnostics when color is true and
// stderr is a terminal.
func RunColor(args []string, wd string, stdout, stderr io.Writer, color bool) int {
	opts, paths, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\n\n%s", err, usage)
		return 1
	}
	if abs, err := filepath.Abs(wd); err == nil {
		wd = abs
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}

	c := &command{
		options: opts,
		wd:      wd,
		color:   color,
		stdout:  stdout,
		files:   map[string]*hcl.File{},
		seen:    map[string]bool{},
	}
	for _, p := range paths {
		c.processPath(p)
	}
	c.writeDiagnostics(stderr)

	if c.diags.HasErrors() || (opts.check && c.changed > 0) {
		return 1
	}
	return 0
}

// parseArgs parses Terraform-style flags (-check, -check=true, ...) and
// returns the remaining arguments as paths.
func parseArgs(args []string) (options, []string, error) {
	var opts options
	fs := flag.NewFlagSet("fmt", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&opts.check, "check", false, "")
	fs.BoolVar(&opts.diff, "diff", false, "")
	fs.BoolVar(&opts.recursive, "recursive", false, "")
	fs.Bool("no-color", false, "") // accepted like every command's; fmt prints no colour
	if err := fs.Parse(args); err != nil {
		return opts, nil, err
	}
	return opts, fs.Args(), nil
}
