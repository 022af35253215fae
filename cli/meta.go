package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// Meta is what every command shares: streams, the working directory and the
// parser whose files the diagnostic writer quotes.
type Meta struct {
	Streams
	Dir     string
	ctx     context.Context
	abandon context.Context
	parser  *config.Parser
}

// varFlags collects -var and -var-file in command-line order.
type varFlags struct {
	args []config.VarArg
	bad  []string
}

func (v *varFlags) bind(fs *flag.FlagSet) {
	fs.Func("var", "set a variable: -var NAME=VALUE (repeatable)", func(s string) error {
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("expected NAME=VALUE, got %q", s)
		}
		v.args = append(v.args, config.VarArg{Name: strings.TrimSpace(name), Value: val})
		return nil
	})
	fs.Func("var-file", "read variables from a file (repeatable)", func(s string) error {
		v.args = append(v.args, config.VarArg{File: s})
		return nil
	})
}

// newFlags returns a flag set that reports errors on stderr without exiting.
func (m *Meta) newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: promptform [global options] %s\n\nOptions:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns false (after printing why) on error.
func (m *Meta) parseFlags(fs *flag.FlagSet, args []string, maxArgs int) bool {
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() > maxArgs {
		fmt.Fprintf(m.Stderr, "Error: unexpected argument %q.\n", fs.Arg(maxArgs))
		fs.Usage()
		return false
	}
	return true
}

// loadConfig parses the configuration directory. When it has errors, the
// references are checked too, so that one run reports every problem.
func (m *Meta) loadConfig() (*config.Config, hcl.Diagnostics) {
	m.parser = config.NewParser()
	cfg, diags := m.parser.LoadDir(m.Dir)
	if diags.HasErrors() && len(cfg.Steps)+len(cfg.Locals)+len(cfg.Outputs) > 0 {
		_, graphDiags := planner.BuildGraph(cfg)
		diags = append(diags, graphDiags...)
	}
	return cfg, diags
}

// statePath is where the state of the working directory lives.
func (m *Meta) statePath() string { return state.Path(m.Dir) }

// loadState reads the state, reporting a problem as a diagnostic.
func (m *Meta) loadState() (*state.State, hcl.Diagnostics) {
	st, err := state.Load(m.statePath())
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read state", Detail: err.Error()}}
	}
	return st, nil
}

// out and errw are the streams, for brevity.
func (m *Meta) out() io.Writer  { return m.Stdout }
func (m *Meta) errw() io.Writer { return m.Stderr }
