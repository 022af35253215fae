package executor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// toolHangLimit bounds runs that must return promptly: a hang check, not a
// performance assertion.
const toolHangLimit = 10 * time.Second

func TestRunTool(t *testing.T) {
	dir := t.TempDir()
	wantDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	exactly := filepath.Join(dir, "exactly")
	if err := os.WriteFile(exactly, []byte(strings.Repeat("x", maxToolOutput)), 0o644); err != nil {
		t.Fatal(err)
	}
	flood := `s=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; s=$s$s$s$s$s$s$s$s; while :; do printf '%s\n' "$s"; done`

	tests := map[string]struct {
		cmd       toolCommand
		args      string
		stdout    string // exact, unless empty and stdoutLen is set
		stdoutLen int
		exitCode  int
		timedOut  bool
		truncated bool
		wantErr   string // a substring of Err; "" when the run succeeds
		errIs     error
	}{
		"stdin is the arguments": {
			cmd:    toolCommand{Argv: []string{"cat"}},
			args:   `{"term":"hcl"}`,
			stdout: `{"term":"hcl"}`,
		},
		"arguments are passed as given": {
			cmd:    toolCommand{Argv: []string{"printf", "%s|%s", "a b", "$HOME"}},
			stdout: "a b|$HOME",
		},
		"dir is the working directory": {
			cmd:    toolCommand{Argv: []string{"sh", "-c", "pwd"}, Dir: dir},
			stdout: wantDir + "\n",
		},
		"missing dir": {
			cmd:      toolCommand{Argv: []string{"cat"}, Dir: filepath.Join(dir, "nope")},
			exitCode: -1,
			wantErr:  `tool command "cat" cannot start: `,
		},
		"non-zero exit": {
			cmd:      toolCommand{Argv: []string{"sh", "-c", "echo partial; echo 'no such term' >&2; echo second >&2; exit 2"}},
			stdout:   "partial\n",
			exitCode: 2,
			wantErr:  `exited with status 2: no such term; second`,
		},
		"long stderr is cut": {
			cmd:      toolCommand{Argv: []string{"sh", "-c", "printf '%0300d\\n' 0 >&2; exit 1"}},
			exitCode: 1,
			wantErr:  `exited with status 1: ` + strings.Repeat("0", stderrReportLen) + "…",
		},
		"non-zero exit without stderr": {
			cmd:      toolCommand{Argv: []string{"sh", "-c", "exit 3"}},
			exitCode: 3,
			wantErr:  `tool command "sh -c exit 3" exited with status 3`,
		},
		"killed by a signal": {
			cmd:      toolCommand{Argv: []string{"sh", "-c", "kill -TERM $$"}},
			exitCode: -1,
			wantErr:  `was killed by signal "terminated"`,
		},
		"missing program": {
			cmd:      toolCommand{Argv: []string{"promptform-no-such-tool", "x"}},
			exitCode: -1,
			wantErr:  `tool command "promptform-no-such-tool x" cannot start: executable file not found in $PATH`,
			errIs:    exec.ErrNotFound,
		},
		"missing program by path": {
			cmd:      toolCommand{Argv: []string{"./no-such-tool"}, Dir: dir},
			exitCode: -1,
			wantErr:  `tool command "./no-such-tool" cannot start: `,
			errIs:    os.ErrNotExist,
		},
		"no program": {
			cmd:      toolCommand{},
			exitCode: -1,
			wantErr:  `cannot start: no program given`,
		},
		"invalid env name": {
			cmd:      toolCommand{Argv: []string{"cat"}, Env: map[string]string{"A=B": "c"}},
			exitCode: -1,
			wantErr:  `cannot start: invalid environment variable "A=B"`,
		},
		"timeout": {
			cmd:      toolCommand{Argv: []string{"sleep", "30"}, Timeout: 200 * time.Millisecond},
			exitCode: -1,
			timedOut: true,
			wantErr:  `tool command "sleep 30" timed out after 200ms and was killed`,
		},
		"timeout kills the script's children": {
			cmd:      toolCommand{Argv: []string{"sh", "-c", "echo started; sleep 30; echo never"}, Timeout: 200 * time.Millisecond},
			stdout:   "started\n",
			exitCode: -1,
			timedOut: true,
			wantErr:  `timed out after 200ms`,
		},
		"exactly the cap": {
			cmd:       toolCommand{Argv: []string{"cat", exactly}},
			stdoutLen: maxToolOutput,
		},
		"over the cap": {
			cmd:       toolCommand{Argv: []string{"sh", "-c", flood}},
			stdoutLen: maxToolOutput,
			exitCode:  -1,
			truncated: true,
			wantErr:   `wrote more than 1 MiB`,
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := runToolWithin(t, context.Background(), test.cmd, test.args)
			if test.stdoutLen == 0 && res.Stdout != test.stdout {
				t.Errorf("wrong stdout\ngot:  %q\nwant: %q", res.Stdout, test.stdout)
			}
			if test.stdoutLen != 0 && len(res.Stdout) != test.stdoutLen {
				t.Errorf("wrong stdout length\ngot:  %d\nwant: %d", len(res.Stdout), test.stdoutLen)
			}
			checkToolResult(t, res, test.exitCode, test.timedOut, test.truncated)
			checkToolErr(t, res.Err, test.wantErr)
			if test.errIs != nil && !errors.Is(res.Err, test.errIs) {
				t.Errorf("error does not wrap %v\ngot: %v", test.errIs, res.Err)
			}
		})
	}
}

func TestRunToolEnv(t *testing.T) {
	// t.Setenv forbids t.Parallel.
	t.Setenv("ASSEMBLYAI_API_KEY", "sk-sentinel")
	t.Setenv("PROMPTFORM_TOOL_SENTINEL", "leak")
	t.Setenv("LANG", "C.UTF-8")
	cmd := toolCommand{Argv: []string{"env"}, Env: map[string]string{"GLOSSARY": "docs/terms", "EMPTY": ""}}
	res := runToolWithin(t, context.Background(), cmd, "")
	checkToolErr(t, res.Err, "")

	var got []string
	for line := range strings.Lines(res.Stdout) {
		got = append(got, strings.TrimSuffix(line, "\n"))
	}
	want := []string{"EMPTY=", "GLOSSARY=docs/terms", "LANG=C.UTF-8", "PATH=" + os.Getenv("PATH")}
	if home, ok := os.LookupEnv("HOME"); ok {
		want = append(want, "HOME="+home)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("wrong environment\ngot:  %q\nwant: %q", got, want)
	}
	if strings.Contains(res.Stdout, "sk-sentinel") || strings.Contains(res.Stdout, "leak") {
		t.Errorf("parent variables leaked into the tool:\n%s", res.Stdout)
	}
}

// A program named by a relative path runs from Dir, as a tool's command
// names a script in the configuration directory. Not parallel: writing an
// executable while another test forks can make running it fail with ETXTBSY.
func TestRunToolRelativeProgram(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\ncat\nprintf ' %s' \"$GLOSSARY\"\n"
	if err := os.WriteFile(filepath.Join(dir, "tools", "lookup.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := toolCommand{Argv: []string{"tools/lookup.sh"}, Dir: dir, Env: map[string]string{"GLOSSARY": "docs/terms"}}
	res := runToolWithin(t, context.Background(), cmd, `{"term":"hcl"}`)
	checkToolErr(t, res.Err, "")
	if want := `{"term":"hcl"} docs/terms`; res.Stdout != want {
		t.Errorf("wrong stdout\ngot:  %q\nwant: %q", res.Stdout, want)
	}
}

func TestRunToolEnvOverridesPath(t *testing.T) {
	t.Parallel()
	cmd := toolCommand{Argv: []string{"cat"}, Env: map[string]string{"PATH": t.TempDir()}}
	res := runToolWithin(t, context.Background(), cmd, "")
	checkToolErr(t, res.Err, `tool command "cat" cannot start: executable file not found in $PATH`)
}

func TestRunToolCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(200*time.Millisecond, cancel)
	defer timer.Stop()
	res := runToolWithin(t, ctx, toolCommand{Argv: []string{"sh", "-c", "sleep 30"}}, "")
	checkToolResult(t, res, -1, false, false)
	checkToolErr(t, res.Err, `tool command "sh -c sleep 30" was cancelled and killed: context canceled`)
	if !errors.Is(res.Err, context.Canceled) {
		t.Errorf("error does not wrap context.Canceled\ngot: %v", res.Err)
	}

	res = runToolWithin(t, ctx, toolCommand{Argv: []string{"cat"}}, "")
	checkToolErr(t, res.Err, `was cancelled before it started: context canceled`)
}

// A background grandchild holding stdout open must not hang the run, and
// must not outlive it.
func TestRunToolGrandchild(t *testing.T) {
	tests := map[string]struct {
		script   string
		timeout  time.Duration
		exitCode int
		timedOut bool
		wantErr  string
	}{
		"killed on timeout": {
			script:   "sleep 30 & echo $!; wait",
			timeout:  200 * time.Millisecond,
			exitCode: -1,
			timedOut: true,
			wantErr:  "timed out after 200ms and was killed",
		},
		"left behind by a program that exits": {
			script: "sleep 30 & echo $!",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := toolCommand{Argv: []string{"sh", "-c", test.script}, Timeout: test.timeout}
			res := runToolWithin(t, context.Background(), cmd, "")
			checkToolResult(t, res, test.exitCode, test.timedOut, false)
			checkToolErr(t, res.Err, test.wantErr)
			pid, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
			if err != nil {
				t.Fatalf("no grandchild pid in stdout %q", res.Stdout)
			}
			waitGone(t, pid)
		})
	}
}

// runToolWithin runs a tool and fails the test if it takes toolHangLimit.
func runToolWithin(t *testing.T, ctx context.Context, cmd toolCommand, args string) toolResult {
	t.Helper()
	res := runTool(ctx, cmd, []byte(args))
	if res.Duration >= toolHangLimit {
		t.Errorf("run took %s, want under %s", res.Duration, toolHangLimit)
	}
	return res
}

func checkToolResult(t *testing.T, res toolResult, exitCode int, timedOut, truncated bool) {
	t.Helper()
	if res.ExitCode != exitCode {
		t.Errorf("wrong exit code\ngot:  %d\nwant: %d", res.ExitCode, exitCode)
	}
	if res.TimedOut != timedOut {
		t.Errorf("wrong TimedOut\ngot:  %t\nwant: %t", res.TimedOut, timedOut)
	}
	if res.Truncated != truncated {
		t.Errorf("wrong Truncated\ngot:  %t\nwant: %t", res.Truncated, truncated)
	}
}

func checkToolErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Errorf("no error\nwant: %s", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("wrong error\ngot:  %v\nwant: …%s…", err, want)
	}
}

// waitGone waits until process pid has exited: no longer exists, or is a
// zombie nobody reaps.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(toolHangLimit)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		// The state follows the parenthesised command name.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i:]), ") Z") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("grandchild %d still running after the tool returned", pid)
}
