package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// Meta is what every command shares: its settings (streams, colour,
// -compact-warnings), the working directory, the parser and the open state.
// It prints nothing itself: a command builds its views from it (view) and
// they print.
type Meta struct {
	Streams
	Dir     string
	ctx     context.Context
	abandon context.Context
	parser  *config.Parser
	store   state.Writer // the state opened for writing, when there is one
	// be is the state backend, once opened (see backend); beDiags why it
	// could not be.
	be      state.Backend
	beDiags hcl.Diagnostics
	// backendConfig holds -backend-config=KEY=VALUE.
	backendConfig backendFlags
	// cfg is the configuration, once loaded (see loadConfig).
	cfg      *config.Config
	cfgDiags hcl.Diagnostics
	helped   bool // the command printed its usage because -help asked
	// helpAsked is set while parsing arguments that hold -help or -h: the
	// usage then goes to stdout.
	helpAsked bool
	compact   bool     // -compact-warnings: warnings as one line each
	log       struct { // the debug log, built once (see debugLog)
		once   sync.Once
		logger *slog.Logger
		file   io.Closer // the log file, closed when the command ends
		err    error
	}
}

// varFlags collects -var and -var-file in command-line order.
type varFlags struct {
	args []config.VarArg
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
// Every command takes -no-color after its name too. The usage goes to
// stdout when asked for with -help or -h, and to stderr after a mistake.
func (m *Meta) newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.BoolFunc("no-color", "turn colour off", func(string) error {
		m.Color = false
		return nil
	})
	if m.backendConfig == nil {
		m.backendConfig = backendFlags{}
	}
	fs.Var(m.backendConfig, "backend-config", "set a setting of the state backend: -backend-config=KEY=VALUE (repeatable; over the backend block and PG_CONN_STR)")
	fs.Usage = func() {
		w := m.Stderr
		if m.helpAsked {
			w = m.Stdout
		}
		fs.SetOutput(w)
		fmt.Fprintf(w, "Usage: promptform [global options] %s\n\nOptions:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns false (after printing why) on error.
// After -help or -h it prints the usage on stdout and returns false too;
// Run then exits 0.
func (m *Meta) parseFlags(fs *flag.FlagSet, args []string, maxArgs int) bool {
	m.helpAsked = wantsHelp(args)
	if err := fs.Parse(args); err != nil {
		m.helped = errors.Is(err, flag.ErrHelp) // only a parsed -help exits 0
		return false
	}
	if fs.NArg() > maxArgs {
		fmt.Fprintf(m.Stderr, "Error: unexpected argument %q.\n", fs.Arg(maxArgs))
		m.helpAsked = false // a mistake: the usage goes with the error
		fs.Usage()
		return false
	}
	return true
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

// loadConfig parses the configuration directory. When it has errors, the
// references are checked too, so that one run reports every problem.
// The configuration is loaded once per command.
func (m *Meta) loadConfig() (*config.Config, hcl.Diagnostics) {
	if m.cfg != nil {
		return m.cfg, m.cfgDiags
	}
	m.parser = config.NewParser()
	cfg, diags := m.parser.LoadDir(m.Dir)
	if diags.HasErrors() && len(cfg.Steps)+len(cfg.Locals)+len(cfg.Outputs) > 0 {
		_, graphDiags := planner.BuildGraph(cfg, nil)
		diags = append(diags, graphDiags...)
	}
	m.cfg, m.cfgDiags = cfg, diags
	return cfg, diags
}

// statePath names where the state of the current workspace lives: a file,
// or a database.
func (m *Meta) statePath() string {
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		return state.Path(m.Dir)
	}
	return be.Where(ws)
}

// openState opens the state and its journal for a command that writes it,
// under the state lock unless lock is false (-lock=false); later loadState
// calls read from it, and Close on the store releases the lock. When the
// lock cannot be taken, locked is false and the diagnostics say why. A
// state that cannot be read is an error in the diagnostics; a torn last
// journal entry (a run killed while writing it) is a warning.
func (m *Meta) openState(lock bool, operation string, timeout time.Duration) (store state.Writer, diags hcl.Diagnostics, locked bool) {
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		return nil, diags, true
	}
	var warnings []state.Warning
	var err error
	if lock {
		store, warnings, err = be.OpenLocked(m.ctx, ws, state.LockInfo{Operation: operation, Version: Version}, timeout)
	} else {
		store, warnings, err = be.OpenUnlocked(m.ctx, ws)
	}
	var lockErr *state.LockError
	if errors.As(err, &lockErr) {
		return nil, lockFailed(lockErr.Err), false
	}
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read state", Detail: err.Error()}}, true
	}
	m.store = store
	return store, warningDiags(warnings), true
}

// warningDiags turns the warnings of reading the state into diagnostics.
func warningDiags(warnings []state.Warning) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, w := range warnings {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: w.Summary, Detail: w.Detail})
	}
	return diags
}

// loadState reads the state, with the progress its journal holds: from the
// store the command opened, or else from disk for a command that only reads.
func (m *Meta) loadState() (*state.State, hcl.Diagnostics) {
	if m.store != nil {
		return m.store.State(), nil
	}
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		return nil, diags
	}
	st, warnings, err := be.Read(m.ctx, ws)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read state", Detail: err.Error()}}
	}
	return st, warningDiags(warnings)
}

// lockIf takes the state lock unless -lock=false said not to; unlock
// releases it (a no-op without a lock). When the lock cannot be taken, the
// diagnostics say why.
func (m *Meta) lockIf(lock bool, operation string, timeout time.Duration) (unlock func(), diags hcl.Diagnostics) {
	if !lock {
		return func() {}, nil
	}
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		return nil, diags
	}
	lk, err := be.Lock(m.ctx, ws, state.LockInfo{Operation: operation, Version: Version}, timeout)
	if err != nil {
		return nil, lockFailed(err)
	}
	return func() { lk.Unlock() }, nil
}

// lockFailed is the error of a state lock that could not be taken.
func lockFailed(err error) hcl.Diagnostics {
	summary := "Cannot lock the state"
	var locked *state.LockedError
	if errors.As(err, &locked) {
		summary = "State locked"
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: err.Error()}}
}
