package state

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGroupSync checks group commit: lines written within SyncInterval
// are synced together by the timer, and a sync that fails makes the next
// write fail rather than go on as if recorded.
func TestGroupSync(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, _, err := open(filepath.Join(dir, Dir, File))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.syncEvery = time.Hour // the test fires the sync itself
	for _, addr := range []string{"step.a", "step.b"} {
		if err := s.Record(&Step{Address: addr, Name: addr[5:]}); err != nil {
			t.Fatal(err)
		}
	}
	s.mu.Lock()
	dirty, timed := s.dirty, s.syncTimer != nil
	s.mu.Unlock()
	if !dirty || !timed {
		t.Fatalf("after two writes: dirty %v, sync scheduled %v; want both", dirty, timed)
	}
	s.groupSync()
	s.mu.Lock()
	dirty, timed = s.dirty, s.syncTimer != nil
	s.mu.Unlock()
	if dirty || timed {
		t.Fatalf("after the group sync: dirty %v, sync scheduled %v; want neither", dirty, timed)
	}
	// A journal whose sync fails: the next write says so.
	if err := s.Record(&Step{Address: "step.c", Name: "c"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.f.Close() // the sync below fails on the closed file
	s.mu.Unlock()
	s.groupSync()
	err = s.Record(&Step{Address: "step.d", Name: "d"})
	if err == nil || !strings.Contains(err.Error(), "sync") {
		t.Fatalf("a write after a failed sync: got %v, want an error about the sync", err)
	}
}
