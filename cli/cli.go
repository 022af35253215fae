package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
)

// Version is promptform's version.
const Version = "0.1.0"

// Streams are the standard streams a command uses.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StdinTTY reports whether Stdin is a terminal (confirmation prompts).
	StdinTTY bool
	// StderrTTY reports whether Stderr is a terminal (live streamed text).
	StderrTTY bool
	// Color enables colour on the human views.
	Color bool
	// Getenv reads an environment variable of the command (API keys,
	// PF_VAR_*, PROMPTFORM_GATEWAY_URL, PROMPTFORM_LOG*); nil reads the
	// process's.
	Getenv func(string) string
	// Environ lists the command's environment as NAME=VALUE; nil lists the
	// process's.
	Environ func() []string
}

// command is one subcommand: its synopsis and its run function.
type command struct {
	synopsis string
	run      func(m *Meta, args []string) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"validate":     {"Check the configuration: syntax, types, references and the graph", runValidate},
		"fmt":          {"Rewrite configuration files in canonical format", runFmt},
		"plan":         {"Show the requests the pipeline would send and what will run", runPlan},
		"apply":        {"Run the pipeline and record every response", runApply},
		"output":       {"Show output values from the state", runOutput},
		"console":      {"Evaluate expressions against the configuration and the state", runConsole},
		"test":         {"Run the *.pftest.hcl tests with mock models: no model is called", runTest},
		"show":         {"Show the recorded state: every step's answer and the outputs", runShow},
		"state":        {"Inspect and edit the state: list, show, rm, mv, pull, push", runState},
		"workspace":    {"Manage workspaces: list, show, new, select, delete", runWorkspace},
		"graph":        {"Print the step graph in DOT or Mermaid", runGraph},
		"compare":      {"Compare assert pass rates and outputs with a baseline state", runCompare},
		"report":       {"Write a self-contained HTML report of the recorded run", runReport},
		"version":      {"Show the promptform version", runVersion},
		"force-unlock": {"Clear the state lock of an apply that is gone", runForceUnlock},
		"help":         {"Show help for promptform or for one command", runHelp},
	}
}

// Main runs promptform with the process's streams and arguments (without
// the program name) and returns the exit code. Interrupts are handled: the
// first stops new steps from starting, the second abandons calls in flight.
func Main(args []string) int {
	stop, abandon := interrupts()
	noColor := os.Getenv("NO_COLOR") != "" || !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stderr.Fd())
	s := Streams{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StdinTTY:  isatty.IsTerminal(os.Stdin.Fd()),
		StderrTTY: isatty.IsTerminal(os.Stderr.Fd()),
		Color:     !noColor,
		Getenv:    os.Getenv,
		Environ:   os.Environ,
	}
	return Run(stop, abandon, args, s)
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM and
// another cancelled by the second. The first stops planning and new steps;
// the second abandons calls in flight; a third exits at once (every step
// that finished is already in the journal).
func interrupts() (stop, abandon context.Context) {
	stop, cancelStop := context.WithCancel(context.Background())
	abandon, cancelAbandon := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 3)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		interruptNotices.print("Interrupt received: stopping; no new steps will start, and the calls in flight are waited for. Interrupt again to abandon them.")
		cancelStop()
		<-ch
		interruptNotices.print("Second interrupt: abandoning the calls in flight. Interrupt once more to exit at once.")
		cancelAbandon()
		<-ch
		interruptNotices.print("Third interrupt: exiting now. Every step that finished is recorded in the journal.")
		os.Exit(1)
	}()
	return stop, abandon
}

// interruptNotices is where the notices of interrupts go.
var interruptNotices noticeSink

// noticeSink prints notices on stderr, or hands them to the display of a
// running apply, which prints them above its progress bar rather than
// letting the bar draw over them.
type noticeSink struct {
	mu sync.Mutex
	to func(msg string) // nil: stderr
}

func (n *noticeSink) print(msg string) {
	n.mu.Lock()
	to := n.to
	n.mu.Unlock()
	if to == nil {
		fmt.Fprintln(os.Stderr, "\n"+msg)
		return
	}
	to(msg)
}

// redirect hands the notices to f until the returned function is called.
func (n *noticeSink) redirect(f func(msg string)) (restore func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.to
	n.to = f
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.to = old
	}
}

// Run runs one promptform command line. ctx stops new work when cancelled;
// abandon also cancels requests in flight.
func Run(ctx, abandon context.Context, args []string, s Streams) int {
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	if s.Environ == nil {
		s.Environ = os.Environ
	}
	m := &Meta{Streams: s, ctx: ctx, abandon: abandon, Dir: "."}
	defer m.closeLog()
	defer m.closeBackend()
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch {
		case name == "chdir" && hasVal:
			m.Dir = val
		case name == "chdir" && len(args) > 1:
			m.Dir = args[1]
			args = args[1:]
		case name == "no-color":
			m.Color = false
		case name == "version" || name == "v":
			args = []string{"version"}
			continue
		case name == "help" || name == "h":
			printUsage(s.Stdout)
			return 0
		default:
			misplacedOption(s.Stderr, args)
			return 1
		}
		args = args[1:]
	}
	if _, err := m.debugLog(); err != nil {
		m.view().diags(hcl.Diagnostics{logDiag(err)})
		return 1
	}
	if len(args) == 0 {
		printUsage(s.Stderr)
		return 1
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(s.Stderr, "Error: unknown command %q.\n\n", args[0])
		printUsage(s.Stderr)
		return 1
	}
	if st, err := os.Stat(m.Dir); err != nil {
		fmt.Fprintf(s.Stderr, "Error: -chdir=%s: no such directory.\n", m.Dir)
		return 1
	} else if !st.IsDir() {
		fmt.Fprintf(s.Stderr, "Error: -chdir=%s: not a directory.\n", m.Dir)
		return 1
	}
	m.Dir = filepath.Clean(m.Dir)
	code := cmd.run(m, args[1:])
	if m.helped {
		return 0 // the command printed its usage because -help asked for it
	}
	return code
}

// misplacedOption explains an option given before the command name: the
// global options are -chdir, -no-color, -version and -help; any other
// belongs after the command.
func misplacedOption(w io.Writer, args []string) {
	opt := args[0]
	for i, a := range args {
		if _, ok := commands[a]; ok && !strings.HasPrefix(a, "-") {
			fixed := append([]string{a}, args[:i]...)
			fixed = append(fixed, args[i+1:]...)
			fmt.Fprintf(w, "Error: %s is not a global option; command options go after the command name:\n\n  promptform %s\n", opt, strings.Join(fixed, " "))
			return
		}
	}
	fmt.Fprintf(w, "Error: unknown global option %q. The global options are -chdir=DIR, -no-color, -version and -help; command options go after the command name.\n\n", opt)
	printUsage(w)
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: promptform [-chdir=DIR] [-no-color] COMMAND [options]\n\nCommands:\n")
	for _, name := range []string{"validate", "fmt", "plan", "apply", "output", "console", "test", "compare", "report", "show", "state", "workspace", "graph", "force-unlock", "version", "help"} {
		fmt.Fprintf(w, "  %-13s %s\n", name, commands[name].synopsis)
	}
	fmt.Fprintf(w, "\nRun promptform COMMAND -help for a command's options.\n")
}

func runVersion(m *Meta, args []string) int {
	fs := m.newFlags("version", "version [-json]")
	jsonOut := fs.Bool("json", false, "print the version as JSON")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	return versionView{m.view(), *jsonOut}.version()
}

// runHelp prints the usage, or a command's usage as -help would.
func runHelp(m *Meta, args []string) int {
	if len(args) == 1 && strings.Contains(args[0], " ") {
		args = strings.Fields(args[0]) // help "state rm"
	}
	if len(args) == 0 || wantsHelp(args[:1]) {
		printUsage(m.Stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok || args[0] == "help" {
		fmt.Fprintf(m.Stderr, "Error: unknown command %q.\n\n", args[0])
		printUsage(m.Stderr)
		return 1
	}
	return cmd.run(m, append(args[1:], "-help"))
}
