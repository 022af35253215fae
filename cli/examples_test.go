package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
	"github.com/promptform/promptform/state/pgstate/pgtest"
)

// TestExamples validates, plans and applies every examples/* directory,
// offline and against the fake gateway, so that examples cannot rot. An
// example with the pg backend runs against the machine's PostgreSQL, in a
// schema of its own.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	srv := gatewaytest.NewServer()
	defer srv.Close()
	t.Setenv(EnvGatewayURL, srv.URL())
	t.Setenv("ASSEMBLYAI_API_KEY", "example-key")
	for _, src := range dirs {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := copyDir(t, src)
			run := func(args ...string) string { return mustRun(t, dir, args...) }
			if usesPG(t, dir) {
				t.Setenv(EnvPGConnStr, pgtest.Require(t))
				schema := pgtest.NewSchema(t, "example_")
				run = func(args ...string) string {
					n := 1 // the flag goes after the command, and after a subcommand
					if args[0] == "state" {
						n = 2
					}
					return mustRun(t, dir, append(args[:n:n], append([]string{"-backend-config=schema_name=" + schema}, args[n:]...)...)...)
				}
			}
			run("validate")
			if tests, err := testFiles(dir, nil); err != nil || len(tests) > 0 {
				// The example's tests pass, without a request to the gateway.
				before := len(srv.Requests())
				if out := run("test"); !strings.Contains(out, " 0 failed.") {
					t.Errorf("promptform test:\n%s", out)
				}
				if sent := len(srv.Requests()) - before; sent != 0 {
					t.Errorf("promptform test sent %d requests to the gateway", sent)
				}
			}
			run("plan", "-offline")
			out := run("apply", "-auto-approve", "-offline")
			st, err := state.Decode([]byte(run("state", "pull")), "state pull")
			if err != nil || len(st.Steps) == 0 {
				t.Fatalf("offline apply recorded nothing (err %v)", err)
			}
			if again := run("apply", "-auto-approve", "-offline"); again != out {
				t.Errorf("a second offline apply printed other outputs\nfirst:  %s\nsecond: %s", out, again)
			}
			want := 0 // one request per step, more for tool rounds and schema retries
			for _, rec := range st.Steps {
				want += rec.Attempts
			}
			before := chatRequests(srv)
			run("apply", "-auto-approve")
			if sent := chatRequests(srv) - before; sent != want {
				t.Errorf("against the gateway: %d requests, want %d as offline", sent, want)
			}
		})
	}
}

// usesPG reports whether the configuration in dir declares the pg backend.
func usesPG(t *testing.T, dir string) bool {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.pf.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`backend "pg"`)) {
			return true
		}
	}
	return false
}

// mustRun runs a command in dir and returns its stdout; it fails the test
// on a non-zero exit.
func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx := context.Background()
	code := Run(ctx, ctx, append([]string{"-chdir=" + dir, "-no-color"}, args...), Streams{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
	})
	if code != 0 {
		t.Fatalf("promptform %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// copyDir copies the files of an example (not its state) into a temporary
// directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == state.Dir {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// chatRequests counts the chat completion requests the fake has seen.
func chatRequests(srv *gatewaytest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/chat/completions") {
			n++
		}
	}
	return n
}
