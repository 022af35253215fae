package cli

import (
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// cwd serialises the in-process commands of the scripts: each runs in its
// script's directory, and the working directory is the process's.
var cwd sync.Mutex

// cmdPromptform runs promptform in the test process with the script's
// directory, environment and streams, as "exec promptform" would in a
// process of its own (without interrupts, which need a real process).
func cmdPromptform(ts *testscript.TestScript, neg bool, args []string) {
	names := ts.Value(envNamesKey{}).(map[string]bool)
	s := Streams{
		Stdin:  strings.NewReader(""),
		Stdout: &lockedWriter{w: ts.Stdout()}, Stderr: &lockedWriter{w: ts.Stderr()},
		Color:  false, // the scripts' streams are not terminals
		Getenv: ts.Getenv,
		Environ: func() []string {
			var env []string
			for name := range names {
				if v := ts.Getenv(name); v != "" {
					env = append(env, name+"="+v)
				}
			}
			return env
		},
	}
	code := runIn(ts, args, s)
	switch {
	case code != 0 && !neg:
		ts.Fatalf("promptform: exit status %d", code)
	case code == 0 && neg:
		ts.Fatalf("promptform: unexpected success")
	}
}

// runIn runs args in the script's current directory.
func runIn(ts *testscript.TestScript, args []string, s Streams) int {
	cwd.Lock()
	defer cwd.Unlock()
	back, err := os.Getwd()
	ts.Check(err)
	ts.Check(os.Chdir(ts.MkAbs(".")))
	defer func() { ts.Check(os.Chdir(back)) }()
	ctx := context.Background()
	return Run(ctx, ctx, args, s)
}

// envNamesKey is the key of a script's environment variable names.
type envNamesKey struct{}

// setInScripts names the variables that some script sets with "env".
var setInScripts = func() map[string]bool {
	names := map[string]bool{}
	files, _ := os.ReadDir("testdata/script")
	re := regexp.MustCompile(`(?m)^\s*env\s+([A-Za-z_][A-Za-z0-9_]*)=`)
	for _, f := range files {
		b, err := os.ReadFile("testdata/script/" + f.Name())
		if err != nil {
			continue
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
	}
	return names
}()

// envNames names the variables a script can see: those it starts with and
// those any script sets.
func envNames(vars []string) map[string]bool {
	names := map[string]bool{}
	for name := range setInScripts {
		names[name] = true
	}
	for _, kv := range vars {
		if name, _, ok := strings.Cut(kv, "="); ok {
			names[name] = true
		}
	}
	return names
}

// lockedWriter serialises writes, as a process's standard streams do.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
