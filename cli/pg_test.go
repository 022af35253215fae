package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
	"github.com/promptform/promptform/state/pgstate"
	"github.com/promptform/promptform/state/pgstate/pgtest"
)

// pgSteps is a pipeline of four steps: research → outline → draft, and
// title on its own. Its outline prompt is a format verb, so that a checkout
// can change that one prompt.
const pgSteps = `
model "m" { id = "claude-haiku-4-5-20251001" }
step "research" {
  model  = model.m
  prompt = "Research the topic."
}
step "outline" {
  model  = model.m
  prompt = "%s ${step.research.output}"
}
step "draft" {
  model  = model.m
  prompt = "Draft from: ${step.outline.output}"
}
step "title" {
  model  = model.m
  prompt = "Name the topic."
}
`

// pgBackendBlock declares the pg backend on a schema, with no conn_str:
// the tests give it through PG_CONN_STR or -backend-config.
const pgBackendBlock = `
promptform {
  backend "pg" {
    schema_name = %q
  }
}
`

// pgRig is what one pg test shares between its commands: the server's
// connection string, a schema of its own, and a fake gateway.
type pgRig struct {
	t      *testing.T
	conn   string
	schema string
	srv    *gatewaytest.Server
}

func newPGRig(t *testing.T) *pgRig {
	t.Helper()
	conn := pgtest.Require(t)
	schema := pgtest.NewSchema(t, "cli_test_")
	srv := gatewaytest.NewServer()
	t.Cleanup(srv.Close)
	return &pgRig{t: t, conn: conn, schema: schema, srv: srv}
}

// src is the pipeline on the rig's schema, its outline prompt outline.
func (r *pgRig) src(outline string) string {
	return fmt.Sprintf(pgBackendBlock, r.schema) + fmt.Sprintf(pgSteps, outline)
}

// checkout writes src as the configuration of a new directory.
func (r *pgRig) checkout(src string) string {
	r.t.Helper()
	dir := r.t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return dir
}

// env is a command's environment: the fake gateway, its key and
// PG_CONN_STR, then more (NAME, VALUE pairs) over them; an empty value
// leaves the variable out.
func (r *pgRig) env(more ...string) map[string]string {
	env := map[string]string{EnvGatewayURL: r.srv.URL(), "ASSEMBLYAI_API_KEY": "test-key", EnvPGConnStr: r.conn}
	for i := 0; i+1 < len(more); i += 2 {
		env[more[i]] = more[i+1]
		if more[i+1] == "" {
			delete(env, more[i])
		}
	}
	return env
}

// must runs a command in dir and returns its stdout; it fails the test on
// a non-zero exit.
func (r *pgRig) must(dir string, env map[string]string, args ...string) string {
	r.t.Helper()
	code, stdout, stderr := runEnv(r.t, dir, env, args...)
	if code != 0 {
		r.t.Fatalf("promptform %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout
}

// sends runs a command that must succeed and checks how many chat
// requests it sent.
func (r *pgRig) sends(want int, dir string, env map[string]string, args ...string) string {
	r.t.Helper()
	before := chatRequests(r.srv)
	out := r.must(dir, env, args...)
	if got := chatRequests(r.srv) - before; got != want {
		r.t.Errorf("promptform %s sent %d chat requests, want %d", strings.Join(args, " "), got, want)
	}
	return out
}

// wantLines fails the test unless text holds every line of want, each
// whole.
func wantLines(t *testing.T, what, text string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for l := range strings.Lines(text) {
		lines[strings.TrimRight(l, "\n")] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("wrong %s\ngot:\n%s\nwant a line: %q", what, text, w)
		}
	}
}

// Two checkouts share one pg backend: what the first applies, the second
// has. A third, in another workspace and with one prompt changed, asks
// only for the changed step and what depends on it, and takes the rest
// from the shared answer cache.
func TestPGSharedCache(t *testing.T) {
	t.Parallel()
	r := newPGRig(t)
	first, second := r.checkout(r.src("Outline:")), r.checkout(r.src("Outline:"))
	env := r.env()

	r.sends(4, first, env, "apply", "-auto-approve")
	if out := r.sends(0, second, env, "plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("the second checkout's plan has changes:\n%s", out)
	}
	r.sends(0, second, env, "apply", "-auto-approve")

	third := r.checkout(r.src("Outline briefly:"))
	exp := r.env(EnvWorkspace, "exp")
	plan := r.sends(0, third, exp, "plan")
	wantLines(t, "plan", plan,
		"  step.research is reused from the shared cache",
		"  step.title is reused from the shared cache",
		"  + step.outline  (new)",
		"  + step.draft  (new)")
	if strings.Contains(plan, "step.outline is reused") || strings.Contains(plan, "step.draft is reused") {
		t.Errorf("the plan reuses a changed step:\n%s", plan)
	}
	if !strings.Contains(plan, "(2 reused from the shared cache)") {
		t.Errorf("the plan's summary does not count the cached steps:\n%s", plan)
	}
	checkCachedJSON(t, r.sends(0, third, exp, "plan", "-json"), map[string]bool{
		"step.research": true, "step.title": true, "step.outline": false, "step.draft": false,
	})
	r.sends(2, third, exp, "apply", "-auto-approve")
	if out := r.must(third, exp, "state", "list"); len(strings.Fields(out)) != 4 {
		t.Errorf("the exp workspace does not record the four steps:\n%s", out)
	}
	if out := r.sends(0, third, exp, "plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("exp's plan after its apply has changes:\n%s", out)
	}
	if out := r.sends(0, first, env, "plan"); !strings.Contains(out, "No changes.") {
		t.Errorf("exp's apply changed the default workspace:\n%s", out)
	}
	// exp was created by its first apply, for every checkout.
	if out := r.must(first, env, "workspace", "list"); out != "* default\n  exp\n" {
		t.Errorf("wrong workspace list\ngot:\n%s\nwant:\n* default\n  exp", out)
	}
}

// checkCachedJSON checks that plan -json marks exactly the steps of want
// that are true as "cached": true, and counts them in its summary.
func checkCachedJSON(t *testing.T, out string, want map[string]bool) {
	t.Helper()
	got, cached := map[string]bool{}, -1
	for line := range strings.Lines(out) {
		var ev struct {
			Type    string `json:"type"`
			Address string `json:"address"`
			Cached  bool   `json:"cached"`
			Changes struct {
				Cached int `json:"cached"`
			} `json:"changes"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("plan -json printed a line that is not JSON: %q: %v", line, err)
		}
		switch ev.Type {
		case "planned_step":
			got[ev.Address] = ev.Cached
		case "summary":
			cached = ev.Changes.Cached
		}
	}
	n := 0
	for addr, w := range want {
		if c, ok := got[addr]; !ok || c != w {
			t.Errorf("plan -json: %s cached %v (planned: %v), want %v\n%s", addr, c, ok, w, out)
		}
		if w {
			n++
		}
	}
	if cached != n {
		t.Errorf("plan -json summary: cached %d, want %d\n%s", cached, n, out)
	}
}

// -replace asks again for a step the shared cache would answer.
func TestPGReplaceCached(t *testing.T) {
	t.Parallel()
	r := newPGRig(t)
	dir := r.checkout(r.src("Outline:"))
	r.sends(4, dir, r.env(), "apply", "-auto-approve")

	fresh := r.env(EnvWorkspace, "fresh")
	wantLines(t, "plan", r.sends(0, dir, fresh, "plan"), "  step.title is reused from the shared cache")
	plan := r.sends(0, dir, fresh, "plan", "-replace=step.title")
	if strings.Contains(plan, "step.title is reused") || !strings.Contains(plan, "Plan: 1 to run, 0 to rerun, 0 to drop, 3 kept (3 reused from the shared cache).") {
		t.Errorf("the plan does not replace step.title:\n%s", plan)
	}
	r.sends(1, dir, fresh, "apply", "-auto-approve", "-replace=step.title")
	r.sends(0, dir, fresh, "apply", "-auto-approve")
}

// An apply fails at once while another holder has the workspace's lock,
// naming the holder; with -lock-timeout it waits, and runs once the lock
// is released.
func TestPGLock(t *testing.T) {
	t.Parallel()
	r := newPGRig(t)
	dir := r.checkout(r.src("Outline:"))
	ctx := context.Background()
	be, err := pgstate.Open(ctx, pgstate.Config{ConnStr: r.conn, SchemaName: r.schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	held, _, err := be.OpenLocked(ctx, state.DefaultWorkspace, state.LockInfo{Operation: "apply"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })

	code, _, stderr := runEnv(t, dir, r.env(), "apply", "-auto-approve")
	if code != 1 || !strings.Contains(stderr, "State locked") || !strings.Contains(stderr, fmt.Sprintf("process %d", os.Getpid())) {
		t.Errorf("apply under another's lock: exit %d, want 1 with \"State locked\" naming process %d\n%s", code, os.Getpid(), stderr)
	}

	app := "pf_wait_" + r.schema
	done := make(chan pgResult, 1)
	go func() {
		code, _, stderr := runEnv(t, dir, r.env(EnvPGConnStr, withAppName(r.conn, app)), "apply", "-auto-approve", "-lock-timeout=5m")
		done <- pgResult{code, stderr}
	}()
	awaitLockAttempt(t, r.conn, app, done)
	if n := chatRequests(r.srv); n != 0 {
		t.Errorf("%d chat requests while the lock was held, want 0", n)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.code != 0 {
		t.Fatalf("apply -lock-timeout=5m: exit %d once the lock was released\n%s", res.code, res.stderr)
	}
	if n := chatRequests(r.srv); n != 4 {
		t.Errorf("apply after the wait sent %d chat requests, want 4", n)
	}
}

// pgResult is how a command run in the background ended.
type pgResult struct {
	code   int
	stderr string
}

// withAppName adds application_name to a connection string, URL or
// keyword/value.
func withAppName(conn, name string) string {
	if !strings.Contains(conn, "://") {
		return conn + " application_name=" + name
	}
	if strings.Contains(conn, "?") {
		return conn + "&application_name=" + name
	}
	return conn + "?application_name=" + name
}

// awaitLockAttempt waits until a session named app has tried the advisory
// lock and is trying it again: its last statement is pg_try_advisory_lock.
// It fails the test if the command sending on done ends first.
func awaitLockAttempt(t *testing.T, conn, app string, done <-chan pgResult) {
	t.Helper()
	ctx := context.Background()
	db, err := pgx.Connect(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		err := db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE '%pg_try_advisory_lock%'`, app).Scan(&n)
		switch {
		case err != nil:
			t.Fatal(err)
		case n > 0:
			return
		case time.Now().After(deadline):
			t.Fatal("apply -lock-timeout never tried the lock")
		}
		select {
		case res := <-done:
			t.Fatalf("apply -lock-timeout ended while the lock was held: exit %d\n%s", res.code, res.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// The way from local state to pg: state pull with the local backend, add
// the backend block, state push; the next plan has no changes, in this
// checkout and in a new one.
func TestPGPushFromLocal(t *testing.T) {
	t.Parallel()
	r := newPGRig(t)
	dir := r.checkout(fmt.Sprintf(pgSteps, "Outline:"))
	local := r.env(EnvPGConnStr, "")
	r.sends(4, dir, local, "apply", "-auto-approve")
	pulled := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(pulled, []byte(r.must(dir, local, "state", "pull")), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(r.src("Outline:")), 0o644); err != nil {
		t.Fatal(err)
	}
	env := r.env()
	if out := r.must(dir, env, "state", "push", pulled); !strings.Contains(out, "Pushed 4 step instance(s)") {
		t.Errorf("wrong push output:\n%s", out)
	}
	// The push moved the serial on: the same file again is older.
	code, _, stderr := runEnv(t, dir, env, "state", "push", pulled)
	if code != 1 || !strings.Contains(stderr, "State serial is older") || !strings.Contains(stderr, "Nothing was changed") {
		t.Errorf("a second push of the same file: exit %d, want 1 with \"State serial is older\"\n%s", code, stderr)
	}
	for _, d := range []string{dir, r.checkout(r.src("Outline:"))} {
		if out := r.sends(0, d, env, "plan"); !strings.Contains(out, "No changes.") {
			t.Errorf("the plan after the push has changes:\n%s", out)
		}
	}
	r.sends(0, dir, env, "apply", "-auto-approve")
}

// A server that cannot be reached is exit 1 with an error that names it
// as host:port, never with the password, however the connection string is
// given.
func TestPGConnectionFailure(t *testing.T) {
	t.Parallel()
	const password = "s3cret-pw"
	url := "postgres://ci:" + password + "@127.0.0.1:1/test?sslmode=disable"
	keywords := "host=127.0.0.1 port=1 user=ci password=" + password + " dbname=test sslmode=disable"
	tests := map[string]struct {
		conn  string // PG_CONN_STR
		flags []string
	}{
		"url":            {conn: url},
		"keyword/value":  {conn: keywords},
		"backend-config": {flags: []string{"-backend-config=conn_str=" + url}},
	}
	// Each command is its name, the options, then the rest.
	commands := []struct{ name, rest []string }{
		{[]string{"plan"}, nil},
		{[]string{"apply"}, []string{"-auto-approve"}},
		{[]string{"workspace", "list"}, nil},
		{[]string{"workspace", "new"}, []string{"x"}},
		{[]string{"state", "pull"}, nil},
	}
	srv := gatewaytest.NewServer()
	defer srv.Close()
	dir := budgetDir(t, fmt.Sprintf(pgBackendBlock, "cli_test_unreachable")+fmt.Sprintf(pgSteps, "Outline:"))
	for name, tc := range tests {
		for _, cmd := range commands {
			env := map[string]string{EnvGatewayURL: srv.URL(), "ASSEMBLYAI_API_KEY": "test-key", EnvPGConnStr: tc.conn}
			args := append(append(append([]string{}, cmd.name...), tc.flags...), cmd.rest...)
			code, stdout, stderr := runEnv(t, dir, env, args...)
			if code != 1 || !strings.Contains(stderr, "127.0.0.1:1") || strings.Contains(stdout+stderr, password) {
				t.Errorf("%s: promptform %s: exit %d, want 1 with an error naming 127.0.0.1:1 and not the password\n%s%s",
					name, strings.Join(args, " "), code, stdout, stderr)
			}
		}
	}
	if n := chatRequests(srv); n != 0 {
		t.Errorf("%d chat requests without a backend, want 0", n)
	}
}

// Workspaces in pg, with the connection string given by -backend-config:
// they are shared by the checkouts, while each checkout selects its own.
func TestPGWorkspaces(t *testing.T) {
	t.Parallel()
	r := newPGRig(t)
	a, b := r.checkout(r.src("Outline:")), r.checkout(r.src("Outline:"))
	env := r.env(EnvPGConnStr, "")
	ws := func(dir string, args ...string) (int, string, string) {
		return runEnv(t, dir, env, append([]string{"workspace", args[0], "-backend-config=conn_str=" + r.conn}, args[1:]...)...)
	}
	must := func(dir string, args ...string) string {
		t.Helper()
		code, stdout, stderr := ws(dir, args...)
		if code != 0 {
			t.Fatalf("promptform workspace %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	fails := func(dir, want string, args ...string) {
		t.Helper()
		if code, stdout, stderr := ws(dir, args...); code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("promptform workspace %s: exit %d, want 1 with %q\n%s%s", strings.Join(args, " "), code, want, stdout, stderr)
		}
	}
	list := func(dir, want string) {
		t.Helper()
		if got := must(dir, "list"); got != want {
			t.Errorf("wrong workspace list\ngot:\n%s\nwant:\n%s", got, want)
		}
	}
	bc := "-backend-config=conn_str=" + r.conn

	list(a, "* default\n")
	if out := must(a, "new", "exp"); out != "Created and switched to workspace \"exp\".\n" {
		t.Errorf("wrong output of workspace new: %q", out)
	}
	list(a, "  default\n* exp\n")
	list(b, "* default\n  exp\n")
	if out := must(a, "show"); out != "exp\n" {
		t.Errorf("workspace show: %q, want exp", out)
	}
	fails(b, "already exists", "new", "exp")
	fails(b, "Workspace does not exist", "select", "nope")
	fails(b, "Invalid workspace name", "new", "bad/name")
	fails(b, "Invalid workspace name", "select", "..")

	r.sends(4, a, env, "apply", "-auto-approve", bc)
	if out := must(b, "select", "exp"); out != "Switched to workspace \"exp\".\n" {
		t.Errorf("wrong output of workspace select: %q", out)
	}
	if out := r.sends(0, b, env, "plan", bc); !strings.Contains(out, "No changes.") {
		t.Errorf("the other checkout does not see exp's state:\n%s", out)
	}

	fails(a, "The default workspace cannot be deleted", "delete", "default")
	fails(a, "is the current workspace", "delete", "exp")
	must(a, "select", "default")
	fails(a, "Workspace not empty", "delete", "exp")
	list(a, "* default\n  exp\n")
	must(a, "delete", "-force", "exp")
	list(a, "* default\n")
	must(a, "new", "empty")
	must(a, "select", "default")
	if out := must(a, "delete", "empty"); out != "Deleted workspace \"empty\".\n" {
		t.Errorf("wrong output of workspace delete: %q", out)
	}
	list(a, "* default\n")
}
