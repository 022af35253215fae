package state

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// lock takes the lock on dir at once and fails the test if it cannot.
func lock(t *testing.T, dir string) *Lockfile {
	t.Helper()
	l, err := Lock(context.Background(), dir, LockInfo{Operation: "apply", Version: "0.1.0"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// wantLocked checks that err is a *LockedError whose message holds every want.
func wantLocked(t *testing.T, err error, want ...string) *LockedError {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("got error %v, want a *LockedError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("wrong lock error\ngot:  %s\nwant: containing %q", err, w)
		}
	}
	return le
}

func TestLockHeldFailsAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := lock(t, dir)
	_, err := Lock(context.Background(), dir, LockInfo{Operation: "plan"}, 0)
	le := wantLocked(t, err, "process "+strconv.Itoa(os.Getpid()), `"apply" by promptform v0.1.0;`, l.Info.ID, l.Info.Host, "-lock-timeout=", "force-unlock "+l.Info.ID)
	if l.Info.Version != "0.1.0" || l.Info.Operation != "apply" {
		t.Errorf("the lock records version %q for %q, want 0.1.0 for apply", l.Info.Version, l.Info.Operation)
	}
	if le.Info != l.Info || le.Stale {
		t.Errorf("wrong holder\ngot:  %+v (stale %t)\nwant: %+v", le.Info, le.Stale, l.Info)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	if info, ok := readLockInfo(LockPath(dir)); ok {
		t.Errorf("Unlock left the info %+v", info)
	}
	lock(t, dir).Unlock()
}

func TestLockWaitsForTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := lock(t, dir)
	go func() {
		time.Sleep(200 * time.Millisecond)
		first.Unlock()
	}()
	second, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, time.Minute)
	if err != nil {
		t.Fatalf("Lock with a timeout: %v", err)
	}
	defer second.Unlock()
	if info, _ := readLockInfo(LockPath(dir)); info.ID != second.Info.ID || info.ID == first.Info.ID {
		t.Errorf("wrong lock info\ngot:  %+v\nwant: %+v", info, second.Info)
	}
}

func TestLockHonoursContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defer lock(t, dir).Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	_, err := Lock(ctx, dir, LockInfo{Operation: "apply"}, time.Hour)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestLockFreedWhenHolderKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := helperCmd(t, "lock", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q; stderr: %s", line, cmd.Stderr)
	}
	_, err = Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	wantLocked(t, err, "process "+strconv.Itoa(cmd.Process.Pid))
	cmd.Process.Kill()
	cmd.Wait()
	l, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 10*time.Second)
	if err != nil {
		t.Fatalf("lock of a killed holder is not free: %v", err)
	}
	l.Unlock()
}

func TestLockStale(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := lock(t, dir)
	defer l.Unlock()
	// Another descriptor keeps the flock while the recorded holder is gone.
	other := flock.New(LockPath(dir))
	l.f.Truncate(0)
	l.fl.Unlock()
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock: %t, %v", ok, err)
	}
	defer other.Unlock()
	l.Info.PID = deadPID(t)
	if err := l.writeInfo(); err != nil {
		t.Fatal(err)
	}
	_, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	le := wantLocked(t, err, "process "+strconv.Itoa(l.Info.PID), "no longer runs on this host")
	if !le.Stale {
		t.Errorf("lock of a dead process not reported stale: %+v", le)
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := helperCmd(t, "exit", "")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestForceUnlock(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		held    bool   // the holder is still running
		left    bool   // a record is left behind
		id      string // "" for the holder's
		wantErr string
	}{
		"right ID, holder gone":    {left: true},
		"right ID, holder running": {held: true, wantErr: "still running"},
		"wrong ID":                 {held: true, id: "0000", wantErr: "not 0000"},
		"no lock":                  {id: "0000", wantErr: "no lock information"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			l := lock(t, dir)
			defer l.Unlock()
			id := l.Info.ID
			switch {
			case tc.left:
				l.fl.Unlock() // as the OS does when a process dies
			case !tc.held:
				l.Unlock()
			}
			if tc.id != "" {
				id = tc.id
			}
			err := ForceUnlock(dir, id)
			checkForceUnlock(t, err, tc.wantErr, dir, l)
			if tc.held {
				_, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
				wantLocked(t, err) // a running holder keeps its flock
				l.Unlock()
			}
		})
	}
}

func checkForceUnlock(t *testing.T, err error, wantErr, dir string, l *Lockfile) {
	t.Helper()
	_, left := readLockInfo(LockPath(dir))
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("ForceUnlock: %v", err)
	case wantErr == "" && left:
		t.Errorf("ForceUnlock left the lock information")
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Fatalf("wrong error\ngot:  %v\nwant: containing %q", err, wantErr)
	case strings.Contains(wantErr, "not ") && !strings.Contains(err.Error(), l.Info.ID):
		t.Errorf("error does not name the actual ID %s: %v", l.Info.ID, err)
	}
}
