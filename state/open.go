package state

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// LockError is the error of OpenLocked when it cannot take the lock: the
// state is locked by another process (Err is then a *LockedError), or the
// lock file cannot be written, or ctx ended the wait. Its text is Err's.
type LockError struct {
	Err error
}

func (e *LockError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *LockError) Unwrap() error { return e.Err }

// OpenLocked takes the lock on the state of configuration directory dir
// (see Lock: req, timeout and ctx as there), then opens the state and its
// journal for writing (see Store). The Store holds the lock until Close.
// A lock that cannot be taken is a *LockError; a state that cannot be read
// is an error that names the file and says what to do, and the lock is
// then released. On an error the Store is nil.
//
// A torn last journal entry (a run killed while writing it) is not an
// error: it is dropped and a Warning says so. OpenLocked never writes the
// state: after it replays a journal, Pending reports how many entries
// state.json lacks, for the caller to Commit.
func OpenLocked(ctx context.Context, dir string, req LockInfo, timeout time.Duration) (*Store, []Warning, error) {
	return openLockedIn(ctx, filepath.Join(dir, Dir), req, timeout)
}

// openLockedIn is OpenLocked on the state in the state directory stateDir.
func openLockedIn(ctx context.Context, stateDir string, req LockInfo, timeout time.Duration) (*Store, []Warning, error) {
	lk, err := lockIn(ctx, stateDir, req, timeout)
	if err != nil {
		return nil, nil, &LockError{Err: err}
	}
	s, warns, err := open(filepath.Join(stateDir, File))
	if err != nil {
		lk.Unlock()
		return nil, nil, err
	}
	s.lock = lk
	return s, warns, nil
}

// OpenUnlocked opens the state of configuration directory dir for writing,
// as OpenLocked does, but without the lock: for -lock=false, when the
// caller knows that nothing else writes the state.
func OpenUnlocked(dir string) (*Store, []Warning, error) { return open(Path(dir)) }

// Read reads the state of configuration directory dir with the progress its
// journal holds, without the lock and without writing anything: what show,
// output, plan and state list see. A missing state is an empty one.
// Warnings and errors are those of OpenLocked.
func Read(dir string) (*State, []Warning, error) {
	s, warns, err := open(Path(dir))
	if err != nil {
		return nil, nil, err
	}
	return s.st, warns, nil // s never opened its journal: nothing to close
}

// open loads the state at path (a missing file gives an empty state) and
// replays its journal, path + ".journal", in order.
//
// A journal whose last line is torn (no newline, or not JSON: what a crash
// during a write leaves) is not an error: that entry is dropped, a Warning
// says so, and the next write cuts it off the file. A state.json that does
// not parse, a bad line before the last, or a journal of another lineage is
// an error that names the file and says what to do; the Store is then nil.
func open(path string) (*Store, []Warning, error) {
	st, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	_, statErr := os.Stat(path)
	s := &Store{path: path, jpath: path + JournalSuffix, st: st, syncEvery: SyncInterval}
	warns, err := s.replay(statErr == nil)
	if err != nil {
		return nil, nil, err
	}
	return s, warns, nil
}
