package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openLocked opens the store of dir under the lock and fails the test if
// it cannot.
func openLocked(t *testing.T, dir string) *Store {
	t.Helper()
	s, _, err := OpenLocked(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenLockedHoldsTheLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openLocked(t, dir)
	record(t, s, 0, 2)

	_, _, err := OpenLocked(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	var lockErr *LockError
	if !errors.As(err, &lockErr) {
		t.Fatalf("second OpenLocked: got %v, want a *LockError", err)
	}
	wantLocked(t, err, "apply", "force-unlock")
	if _, err := Lock(context.Background(), dir, LockInfo{Operation: "plan"}, 0); err == nil {
		t.Fatal("Lock succeeded while a Store holds the lock")
	}
	// Reading takes no lock, and sees the journal's progress.
	st, _, err := Read(dir)
	if err != nil || len(st.Steps) != 2 {
		t.Fatalf("Read while locked: %d steps, %v; want 2, no error", len(st.Steps), err)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if info, ok := readLockInfo(LockPath(dir)); ok {
		t.Errorf("Close left the lock information %+v", info)
	}
	again := openLocked(t, dir)
	defer again.Close()
	if got := len(again.State().Steps); got != 2 || again.Pending() != 2 {
		t.Errorf("reopened store has %d steps, %d pending; want 2, 2", got, again.Pending())
	}
}

func TestOpenLockedReleasesTheLockOnABadState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteFileAtomic(Path(dir), []byte(`{"version":1,"lin`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := OpenLocked(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	var lockErr *LockError
	if err == nil || errors.As(err, &lockErr) {
		t.Fatalf("got %v, want an error reading the state, not a *LockError", err)
	}
	lock(t, dir).Unlock() // free again
}

func TestOpenLockedHonoursContext(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defer lock(t, dir).Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := OpenLocked(ctx, dir, LockInfo{Operation: "apply"}, time.Hour)
	var lockErr *LockError
	if !errors.As(err, &lockErr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a *LockError wrapping context.Canceled", err)
	}
}

func TestOpenUnlockedTakesNoLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defer lock(t, dir).Unlock()
	s, _, err := OpenUnlocked(dir)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, 0, 1)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0); err == nil {
		t.Fatal("Close of an unlocked Store released a lock it did not hold")
	}
}

func TestReadWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, warns, err := Read(dir)
	if err != nil || len(warns) > 0 || len(st.Steps) != 0 || st.Lineage == "" {
		t.Fatalf("Read of no state: %+v, %v, %v; want an empty state", st, warns, err)
	}
	if _, err := os.Stat(filepath.Join(dir, Dir)); !os.IsNotExist(err) {
		t.Errorf("Read created %s (stat: %v)", Dir, err)
	}

	s := openLocked(t, dir)
	record(t, s, 0, 3)
	s.Close()
	journal, _ := os.ReadFile(Path(dir) + JournalSuffix)
	st, _, err = Read(dir)
	if err != nil || len(st.Steps) != 3 {
		t.Fatalf("Read: %d steps, %v; want 3, no error", len(st.Steps), err)
	}
	if after, _ := os.ReadFile(Path(dir) + JournalSuffix); string(after) != string(journal) {
		t.Errorf("Read changed the journal")
	}
	if _, err := os.Stat(Path(dir)); !os.IsNotExist(err) {
		t.Errorf("Read wrote %s (stat: %v)", File, err)
	}
}
