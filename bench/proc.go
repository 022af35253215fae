package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// usage is what one measured run cost.
type usage struct {
	wall time.Duration
	cpu  time.Duration // user + system
	rss  int64         // peak resident set size in bytes; 0 when unknown
}

// promptform runs the built binary against one fake gateway.
type promptform struct {
	bin string
	url string // the fake's base URL, ending in /v1
	tmp string // where stderr is kept while a run lasts
}

// run runs promptform -chdir=dir args..., with its output sent to
// /dev/null and its standard error kept for the error message when it
// fails, and returns the child's wall time and rusage.
func (p *promptform) run(ctx context.Context, dir string, args ...string) (usage, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return usage{}, err
	}
	defer devNull.Close()
	stderr, err := os.CreateTemp(p.tmp, "stderr-*")
	if err != nil {
		return usage{}, err
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()

	cmd := exec.CommandContext(ctx, p.bin, append([]string{"-chdir=" + dir}, args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Env = devNull, stderr, p.env()
	start := time.Now()
	err = cmd.Run()
	u := usage{wall: time.Since(start)}
	if cmd.ProcessState != nil {
		u.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.rss = ru.Maxrss * 1024 // KiB on Linux
		}
	}
	if err != nil {
		return u, fmt.Errorf("promptform %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.Name()))
	}
	return u, nil
}

// env is this process's environment without promptform's own variables
// (a workspace, a log or variables set in the shell would change what is
// measured), plus the fake's URL and a key.
func (p *promptform) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PROMPTFORM_") || strings.HasPrefix(kv, "PF_VAR_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PROMPTFORM_GATEWAY_URL="+p.url, "ASSEMBLYAI_API_KEY=bench-key", "NO_COLOR=1")
}

// tail returns the last few KiB of a file, for an error message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	const keep = 4 << 10
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}
