package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// maxToolOutput is the most a tool may write to stdout, the result the model
// reads; a tool that writes more fails.
const maxToolOutput = 1 << 20

const (
	maxToolStderr      = 64 << 10         // stderr kept for the error report
	defaultToolTimeout = 30 * time.Second // toolCommand.Timeout 0
	toolWaitDelay      = time.Second      // how long a left-behind process may hold the pipes
	stderrReportLines  = 3                // stderr lines quoted in a failure,
	stderrReportLen    = 200              // each cut to this many bytes
)

// toolInheritedEnv are the only variables a tool sees from our own
// environment.
var toolInheritedEnv = []string{"PATH", "HOME", "LANG"}

var (
	errToolTimedOut = errors.New("tool timed out")
	errToolTooLong  = errors.New("tool output over the cap")
)

// toolCommand is how to run one tool.
type toolCommand struct {
	Argv    []string          // program and arguments; no shell
	Dir     string            // working directory: the configuration directory
	Env     map[string]string // the tool's env map: the only variables it sees beside PATH, HOME and LANG
	Timeout time.Duration     // 0: 30 seconds
}

// toolResult is what a run produced.
type toolResult struct {
	Stdout    string // at most maxToolOutput bytes
	Stderr    string // at most 64 KiB, for the error report
	ExitCode  int    // -1 when killed or not started
	TimedOut  bool
	Truncated bool // stdout was longer than maxToolOutput
	Duration  time.Duration
	Err       error // non-nil when the tool failed: could not start, non-zero exit, timeout, output over the cap
}

// runTool runs a command-backed tool once: Argv[0], found through PATH, is
// started directly (never through a shell) in its own process group, in Dir,
// with arguments on stdin and an environment of only PATH, HOME and LANG
// (when we have them) and Env, which wins over them. On timeout, on ctx
// cancellation and as soon as stdout passes maxToolOutput the whole group is
// killed, so a script's children die with it; whatever the program leaves
// behind in its group when it exits is killed too. runTool returns when the
// program has exited and its output is read, or at most toolWaitDelay later
// if a process that escaped the group holds the pipes. It is safe for
// concurrent use.
func runTool(ctx context.Context, tc toolCommand, arguments []byte) toolResult {
	start := time.Now()
	res := toolResult{ExitCode: -1}
	path, env, err := tc.resolve()
	if err != nil {
		res.Err = tc.errorf("cannot start: %w", err)
		res.Duration = time.Since(start)
		return res
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	runCtx, stop := context.WithTimeoutCause(runCtx, tc.timeout(), errToolTimedOut)
	defer stop()

	stdout := &cappedBuffer{max: maxToolOutput, full: func() { cancel(errToolTooLong) }}
	stderr := &cappedBuffer{max: maxToolStderr}
	cmd := tc.command(runCtx, path, env, arguments, stdout, stderr)
	if err := cmd.Start(); err != nil {
		res.Err = tc.startFailure(ctx, err)
		res.Duration = time.Since(start)
		return res
	}
	waitErr := cmd.Wait()
	_ = killGroup(cmd.Process) // whatever it left behind
	res.Duration = time.Since(start)

	res.Stdout, res.Stderr, res.Truncated = stdout.String(), stderr.String(), stdout.over
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	res.TimedOut = waitErr != nil && !res.Truncated && context.Cause(runCtx) == errToolTimedOut
	res.Err = tc.failure(ctx, res, waitErr)
	return res
}

// command builds the exec.Cmd of a resolved tool command.
func (tc toolCommand) command(ctx context.Context, path string, env []string, arguments []byte, stdout, stderr *cappedBuffer) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, tc.Argv[1:]...)
	cmd.Args[0] = tc.Argv[0]
	cmd.Dir = tc.Dir
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(arguments)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = toolWaitDelay
	return cmd
}

// resolve returns the program to run and the tool's whole environment.
func (tc toolCommand) resolve() (path string, env []string, err error) {
	if len(tc.Argv) == 0 || tc.Argv[0] == "" {
		return "", nil, errors.New("no program given")
	}
	vars := make(map[string]string, len(toolInheritedEnv)+len(tc.Env))
	for _, name := range toolInheritedEnv {
		if v, ok := os.LookupEnv(name); ok {
			vars[name] = v
		}
	}
	for name, v := range tc.Env {
		if name == "" || strings.ContainsAny(name, "=\x00") || strings.ContainsRune(v, 0) {
			return "", nil, fmt.Errorf("invalid environment variable %q", name)
		}
		vars[name] = v
	}
	env = make([]string, 0, len(vars)) // never nil: a nil Env inherits ours
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, name+"="+vars[name])
	}
	path, err = lookToolPath(tc.Argv[0], vars["PATH"])
	return path, env, err
}

// lookToolPath finds a program the way the tool's own PATH would. A name
// with a slash is used as given, relative to the tool's Dir; relative PATH
// entries are skipped, since they would be relative to our directory.
func lookToolPath(name, pathList string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// killGroup kills the process group led by p.
func killGroup(p *os.Process) error {
	err := syscall.Kill(-p.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// startFailure explains why a resolved program did not start.
func (tc toolCommand) startFailure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return tc.errorf("was cancelled before it started: %w", context.Cause(ctx))
	}
	return tc.errorf("cannot start: %w", err)
}

// failure explains a finished run, or returns nil when it succeeded. A
// program that exits 0 while something it left behind holds its output
// open has succeeded: it is killed, and what was written so far is kept.
func (tc toolCommand) failure(ctx context.Context, res toolResult, waitErr error) error {
	switch {
	case res.Truncated:
		return tc.errorf("wrote more than 1 MiB")
	case waitErr == nil, errors.Is(waitErr, exec.ErrWaitDelay) && res.ExitCode == 0:
		return nil
	case res.TimedOut:
		return tc.errorf("timed out after %s and was killed", tc.timeout())
	case ctx.Err() != nil:
		return tc.errorf("was cancelled and killed: %w", context.Cause(ctx))
	case res.ExitCode > 0:
		return tc.errorf("exited with status %d%s", res.ExitCode, stderrSummary(res.Stderr))
	}
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return tc.errorf("was killed by signal %q%s", ws.Signal(), stderrSummary(res.Stderr))
		}
	}
	return tc.errorf("failed: %w", waitErr)
}

func (tc toolCommand) timeout() time.Duration {
	if tc.Timeout <= 0 {
		return defaultToolTimeout
	}
	return tc.Timeout
}

// errorf returns an error that names the command.
func (tc toolCommand) errorf(format string, args ...any) error {
	args = append([]any{strings.Join(tc.Argv, " ")}, args...)
	return fmt.Errorf("tool command %q "+format, args...)
}

// stderrSummary returns ": " and the first lines of stderr, or "" when it
// has nothing to say.
func stderrSummary(stderr string) string {
	var lines []string
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if len(line) > stderrReportLen {
			line = strings.ToValidUTF8(line[:stderrReportLen], "") + "…"
		}
		if line != "" {
			lines = append(lines, line)
		}
		if len(lines) == stderrReportLines {
			break
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return ": " + strings.Join(lines, "; ")
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// never blocking the writer; full is called once, when it first drops.
type cappedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
	full func()
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); n > room {
		p = p[:room]
		if !b.over && b.full != nil {
			b.full()
		}
		b.over = true
	}
	b.buf.Write(p)
	return n, nil
}

func (b *cappedBuffer) String() string { return b.buf.String() }
