package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/fatih/color"
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
		"show":         {"Show the recorded state: every step's answer and the outputs", runShow},
		"state":        {"Inspect and edit the state: list, show, rm", runState},
		"graph":        {"Print the step graph in DOT or Mermaid", runGraph},
		"version":      {"Show the promptform version", runVersion},
		"force-unlock": {"Clear the state lock of an apply that is gone", runForceUnlock},
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
	}
	return Run(stop, abandon, args, s)
}

// interrupts returns a context cancelled by the first SIGINT or SIGTERM and
// another cancelled by the second.
func interrupts() (stop, abandon context.Context) {
	stop, cancelStop := context.WithCancel(context.Background())
	abandon, cancelAbandon := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		fmt.Fprintln(os.Stderr, "\nInterrupt received: no new steps will start; waiting for the calls in flight. Interrupt again to abandon them.")
		cancelStop()
		<-ch
		fmt.Fprintln(os.Stderr, "\nSecond interrupt: abandoning the calls in flight.")
		cancelAbandon()
	}()
	return stop, abandon
}

// Run runs one promptform command line. ctx stops new work when cancelled;
// abandon also cancels requests in flight.
func Run(ctx, abandon context.Context, args []string, s Streams) int {
	m := &Meta{Streams: s, ctx: ctx, abandon: abandon, Dir: "."}
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
			fmt.Fprintf(s.Stderr, "Error: unknown global option %q.\n\n", args[0])
			printUsage(s.Stderr)
			return 1
		}
		args = args[1:]
	}
	color.NoColor = !m.Color
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
	return cmd.run(m, args[1:])
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: promptform [-chdir=DIR] [-no-color] COMMAND [options]\n\nCommands:\n")
	for _, name := range []string{"validate", "fmt", "plan", "apply", "output", "show", "state", "graph", "force-unlock", "version"} {
		fmt.Fprintf(w, "  %-13s %s\n", name, commands[name].synopsis)
	}
	fmt.Fprintf(w, "\nRun promptform COMMAND -help for a command's options.\n")
}

func runVersion(m *Meta, args []string) int {
	fmt.Fprintf(m.Stdout, "promptform v%s\n", Version)
	return 0
}
