package pgstate

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// lockOf returns the lock a writer holds.
func lockOf(t *testing.T, w state.Writer) *heldLock {
	t.Helper()
	l := w.(*writer).lock
	if l == nil {
		t.Fatal("the writer holds no lock")
	}
	return l
}

// wantLocked checks that err is a *state.LockedError, wrapped in a
// *state.LockError when wrapped is true, whose message holds every want.
func wantLocked(t *testing.T, err error, wrapped bool, want ...string) *state.LockedError {
	t.Helper()
	var le *state.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("got error %v, want a *state.LockedError", err)
	}
	var lerr *state.LockError
	if errors.As(err, &lerr) != wrapped {
		t.Errorf("got error %T, want a *state.LockError: %t", err, wrapped)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("wrong lock error\ngot:  %s\nwant: containing %q", err, w)
		}
	}
	return le
}

// terminate ends the session of the lock's connection, waiting until its
// backend has exited (and so released the lock).
func terminate(t *testing.T, conn *pgx.Conn, l *heldLock) {
	t.Helper()
	var ok bool
	err := conn.QueryRow(context.Background(), `SELECT pg_terminate_backend($1, 10000)`, l.conn.PgConn().PID()).Scan(&ok)
	if err != nil || !ok {
		t.Fatalf("terminate the writer's session: %v %v", ok, err)
	}
}

func TestSecondOpenLockedFailsAtOnce(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := openBackend(t, schema)
	holder := lockOf(t, openLocked(t, b, "default", "apply")).info
	other := openBackend(t, schema) // another checkout

	start := time.Now()
	_, _, err := other.OpenLocked(context.Background(), "default", state.LockInfo{Operation: "apply"}, 0)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a lock with no timeout took %s to fail", d)
	}
	le := wantLocked(t, err, true, "process "+strconv.Itoa(os.Getpid()), `for "apply" by promptform v0.1.0`,
		"lock ID "+holder.ID, b.Where("default"), "-lock-timeout=")
	if le.Info != holder {
		t.Errorf("wrong holder\ngot:  %+v\nwant: %+v", le.Info, holder)
	}
	host, _ := os.Hostname()
	if holder.PID != os.Getpid() || holder.Host != host || !strings.HasSuffix(holder.Who, "@"+host) ||
		holder.Operation != "apply" || holder.Version != "0.1.0" || holder.Created.IsZero() || len(holder.ID) != 36 {
		t.Errorf("incomplete lock info %+v", holder)
	}
	// Lock returns the *LockedError itself.
	_, err = other.Lock(context.Background(), "default", state.LockInfo{Operation: "plan"}, 0)
	wantLocked(t, err, false, holder.ID)
}

// tried waits until a session named app has tried an advisory lock.
func tried(t *testing.T, conn *pgx.Conn, app string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for range tick.C {
		var n int
		err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND query LIKE '%pg_try_advisory_lock%'`, app).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session %s tried the lock", app)
		}
	}
}

// openNamed opens a Backend on schema whose sessions are named app.
func openNamed(t *testing.T, schema, app string) *Backend {
	t.Helper()
	cs := connStr()
	if strings.Contains(cs, "://") {
		sep := "?"
		if strings.Contains(cs, "?") {
			sep = "&"
		}
		cs += sep + "application_name=" + app
	} else {
		cs += " application_name=" + app
	}
	b, err := Open(context.Background(), Config{ConnStr: cs, SchemaName: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

type openResult struct {
	w   state.Writer
	err error
}

func TestOpenLockedWaits(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	first := openLocked(t, b, "default", "apply")
	first.Record(testStep(0))
	waiter := openNamed(t, schema, schema+"_waiter")
	done := make(chan openResult, 1)
	go func() {
		w, _, err := waiter.OpenLocked(context.Background(), "default", state.LockInfo{Operation: "apply"}, time.Minute)
		done <- openResult{w, err}
	}()
	tried(t, conn, schema+"_waiter")
	select {
	case r := <-done:
		t.Fatalf("OpenLocked returned while the lock was held: %v", r.err)
	default:
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.w.Close()
	if got := addresses(r.w.State()); got != "step.s[0]" || r.w.Pending() != 1 {
		t.Errorf("the waiter opened steps %q with %d pending, want step.s[0] with 1", got, r.w.Pending())
	}
}

func TestLockWaitEnds(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	openLocked(t, b, "default", "apply")

	start := time.Now()
	_, _, err := b.OpenLocked(context.Background(), "default", state.LockInfo{}, 200*time.Millisecond)
	wantLocked(t, err, true)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", d)
	}

	waiter := openNamed(t, schema, schema+"_cancel")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := waiter.OpenLocked(ctx, "default", state.LockInfo{}, time.Hour)
		done <- err
	}()
	tried(t, conn, schema+"_cancel")
	cancel()
	err = <-done
	var lerr *state.LockError
	if !errors.As(err, &lerr) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for the lock on") {
		t.Errorf("got error %v, want a *state.LockError wrapping context.Canceled", err)
	}
}

func TestWorkspacesDoNotBlockEachOther(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := openBackend(t, schema)
	openLocked(t, b, "default", "apply")
	openLocked(t, b, "dev", "apply")
	// Nor does the same workspace in another schema.
	openLocked(t, openBackend(t, newSchema(t)), "default", "apply")
}

func TestLockAlone(t *testing.T) {
	t.Parallel()
	b := openBackend(t, newSchema(t))
	u, err := b.Lock(context.Background(), "default", state.LockInfo{Operation: "plan"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.OpenLocked(context.Background(), "default", state.LockInfo{}, 0)
	wantLocked(t, err, true, `for "plan"`)
	if err := u.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := u.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	openLocked(t, b, "default", "apply")
}

// TestConnectionKilled ends the session of a writer mid-apply: its next
// write fails, saying the lock is gone; what it recorded before is kept,
// and the lock is free.
func TestConnectionKilled(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "default", "apply")
	for i := range 2 {
		if err := w.Record(testStep(i)); err != nil {
			t.Fatal(err)
		}
	}
	dead := lockOf(t, w).info
	terminate(t, conn, lockOf(t, w))

	err := w.Record(testStep(2))
	for _, want := range []string{"record step.s[2]", b.Where("default"), "the lock is gone", "recorded before is kept"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("wrong error\ngot:  %v\nwant: containing %q", err, want)
		}
	}
	if err := w.Commit(); err == nil {
		t.Error("Commit after the session ended: no error")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after the session ended: %v", err)
	}
	// Its locks row is left, stale: the next holder takes the lock at once
	// and replaces the row.
	if got := count(t, conn, schema, "locks", "info->>'id' = $1", dead.ID); got != 1 {
		t.Errorf("%d locks rows of the dead writer, want 1 (stale)", got)
	}
	w2 := openLocked(t, openBackend(t, schema), "default", "apply")
	if got := addresses(w2.State()); got != "step.s[0] step.s[1]" || w2.Pending() != 2 {
		t.Errorf("after the kill: steps %q with %d pending, want step.s[0] step.s[1] with 2", got, w2.Pending())
	}
	_, _, err = b.OpenLocked(context.Background(), "default", state.LockInfo{}, 0)
	if le := wantLocked(t, err, true); le.Info != lockOf(t, w2).info {
		t.Errorf("the lock error names %+v, not the new holder", le.Info)
	}
}

// TestCrashedProcess kills a process that holds the lock mid-apply.
func TestCrashedProcess(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := openBackend(t, schema)
	cmd := startHolder(t, schema)
	_, _, err := b.OpenLocked(context.Background(), "default", state.LockInfo{}, 0)
	if le := wantLocked(t, err, true); le.Info.PID != cmd.Process.Pid {
		t.Errorf("the lock error names process %d, want the helper %d", le.Info.PID, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The server ends the session when it sees the socket closed.
	w, _, err := b.OpenLocked(context.Background(), "default", state.LockInfo{}, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := addresses(w.State()); got != "step.s[0] step.s[1] step.s[2]" || w.Pending() != 3 {
		t.Errorf("after the crash: steps %q with %d pending, want 3 of each", got, w.Pending())
	}
}

func TestForceUnlock(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	ctx := context.Background()
	if err := b.ForceUnlock(ctx, "default", "x"); err == nil || !strings.Contains(err.Error(), "not locked") {
		t.Errorf("got error %v, want one saying the workspace is not locked", err)
	}
	w := openLocked(t, b, "default", "apply")
	l := lockOf(t, w)
	id := l.info.ID
	if err := b.ForceUnlock(ctx, "default", "wrong"); err == nil || !strings.Contains(err.Error(), "has ID "+id+", not wrong") {
		t.Errorf("got error %v, want one naming the ID %s", err, id)
	}
	err := b.ForceUnlock(ctx, "default", id)
	if err == nil || !strings.Contains(err.Error(), "still connected") || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("got error %v, want one saying the holder is still connected", err)
	}
	terminate(t, conn, l)
	if err := b.ForceUnlock(ctx, "default", id); err != nil {
		t.Fatal(err)
	}
	if got := count(t, conn, schema, "locks", "true"); got != 0 {
		t.Errorf("ForceUnlock left %d locks rows", got)
	}
}

// TestStaleRowNamesNobody holds the advisory lock from a session that has
// not written its row, while the row of a holder that is gone is left:
// the lock error must not name the gone holder.
func TestStaleRowNamesNobody(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "default", "apply")
	gone := lockOf(t, w).info
	terminate(t, conn, lockOf(t, w))
	starting := admin(t)
	if _, err := starting.Exec(context.Background(), `SELECT pg_advisory_lock($1)`, b.lockKey("default")); err != nil {
		t.Fatal(err)
	}
	_, _, err := b.OpenLocked(context.Background(), "default", state.LockInfo{}, 0)
	if le := wantLocked(t, err, true, "left no lock information"); le.Info.ID != "" {
		t.Errorf("the lock error names %+v, a holder that is gone", le.Info)
	}
	err = b.ForceUnlock(context.Background(), "default", gone.ID)
	if err == nil || !strings.Contains(err.Error(), "held by another session") {
		t.Errorf("got error %v, want one saying another session holds the lock", err)
	}
	if _, err := starting.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, b.lockKey("default")); err != nil {
		t.Fatal(err)
	}
	if err := b.ForceUnlock(context.Background(), "default", gone.ID); err != nil {
		t.Fatal(err)
	}
}
