package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockFile names the lock, in Dir beside the state.
const LockFile = "state.lock"

// lockPoll is how often Lock tries again while it waits.
const lockPoll = 50 * time.Millisecond

// LockInfo says who holds the lock. It is the content of the lock file.
// Version is the holder's promptform version, without the "v" that the
// version command and lock errors put before it: "0.1.0".
type LockInfo struct {
	ID        string    `json:"id"`
	Operation string    `json:"operation"`
	Who       string    `json:"who"`
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	Created   time.Time `json:"created"`
	Version   string    `json:"version"`
}

// Lockfile is a held lock. Release it with Unlock.
type Lockfile struct {
	Info LockInfo
	path string
	fl   *flock.Flock
	f    *os.File // the same file, opened for writing the info
}

// LockPath returns the lock file path for a configuration directory.
func LockPath(configDir string) string { return filepath.Join(configDir, Dir, LockFile) }

// Lock takes the exclusive lock on the state of the configuration directory
// dir. It is an flock(2) on dir/.promptform/state.lock, so the operating
// system releases it when the holder exits, however it exits: a lock whose
// process is gone is free. Once it holds the flock, Lock writes a LockInfo
// into the file: req's Operation ("apply") and Version (the promptform
// version, as the version command shows it), and its own ID, Who, PID, Host
// and Created. It then removes the temporary files that a writer of the
// state killed mid-write left behind.
//
// Lock tries at once; if the lock is held, it tries again every 50ms until
// timeout has passed (0: fail at once) or ctx is done. It then returns a
// *LockedError naming the holder, or ctx's error wrapped.
//
// A command that writes the state takes the lock with OpenLocked, whose
// Store holds it; Lock alone is for a reader that wants no apply to write
// while it reads (plan).
func Lock(ctx context.Context, dir string, req LockInfo, timeout time.Duration) (*Lockfile, error) {
	return lockIn(ctx, filepath.Join(dir, Dir), req, timeout)
}

// lockIn is Lock on the state in the state directory stateDir.
func lockIn(ctx context.Context, stateDir string, req LockInfo, timeout time.Duration) (*Lockfile, error) {
	path := filepath.Join(stateDir, LockFile)
	if err := EnsureDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		l, err := tryLock(path, req)
		if l != nil {
			removeStaleTemps(filepath.Dir(path))
		}
		if l != nil || err != nil {
			return l, err
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return nil, lockedError(path)
		}
		t := time.NewTimer(min(wait, lockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("state: waiting for the lock on %s: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

// tryLock takes the flock without waiting and writes the info; it returns
// nil and no error if the lock is held elsewhere.
func tryLock(path string, req LockInfo) (*Lockfile, error) {
	fl := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("state: lock %s: %w", path, err)
	}
	if !ok {
		return nil, nil
	}
	l := &Lockfile{path: path, fl: fl, Info: NewLockInfo(req)}
	if err := l.writeInfo(); err != nil {
		fl.Unlock()
		return nil, err
	}
	return l, nil
}

// NewLockInfo completes req with who and where this process is, and a
// fresh lock ID: what a lock's holder records, in a lock file or a
// database.
func NewLockInfo(req LockInfo) LockInfo {
	host, _ := os.Hostname()
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return LockInfo{
		ID: newLineage(), Operation: req.Operation, Who: name + "@" + host,
		PID: os.Getpid(), Host: host, Created: time.Now().UTC().Truncate(time.Second), Version: req.Version,
	}
}

// writeInfo writes the info through a second descriptor of the locked file.
func (l *Lockfile) writeInfo() error {
	b, err := json.MarshalIndent(l.Info, "", "  ")
	if err != nil {
		return fmt.Errorf("state: encode lock info: %w", err)
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("state: write %s: %w", l.path, err)
	}
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("state: write %s: %w", l.path, err)
	}
	l.f = f
	return nil
}

// Unlock removes the info and releases the lock. It is idempotent.
func (l *Lockfile) Unlock() error {
	if l.f == nil {
		return nil
	}
	// The file itself stays: removing a locked file would let a second
	// process lock a new file of the same name while a third waits on the old.
	errs := []error{l.f.Truncate(0), l.f.Close(), l.fl.Unlock()}
	l.f = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("state: unlock %s: %w", l.path, err)
	}
	return nil
}

// readLockInfo reads the info in a lock file; ok is false when the file is
// missing, empty or unreadable.
func readLockInfo(path string) (info LockInfo, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &info) != nil || info.ID == "" {
		return LockInfo{}, false
	}
	return info, true
}
