package state

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// LockedError is the error of a Lock that found the state locked.
type LockedError struct {
	// Path is the lock file.
	Path string
	// Info is the holder's record; it is zero when the holder left none.
	Info LockInfo
	// Stale is true when Info names a process on this host that no longer
	// exists, although the flock is still held by someone.
	Stale bool
	// FreedWithHolder is true when the lock ends with its holder's
	// connection (a database's): force-unlock is then never needed.
	FreedWithHolder bool
}

func lockedError(path string) *LockedError {
	e := &LockedError{Path: path}
	info, ok := readLockInfo(path)
	if ok {
		e.Info = info
		host, _ := os.Hostname()
		e.Stale = info.Host == host && processGone(info.PID)
	}
	return e
}

// Error says who holds the lock and what to do.
func (e *LockedError) Error() string {
	var b strings.Builder
	i := e.Info
	if i.ID == "" {
		fmt.Fprintf(&b, "state: the state is locked (%s) by a process that left no lock information: "+
			"it is just starting, or force-unlock removed its record. ", e.Path)
	} else {
		fmt.Fprintf(&b, "state: the state is locked (%s) by process %d on host %s (%s) since %s, for %q",
			e.Path, i.PID, i.Host, i.Who, i.Created.Local().Format(time.RFC3339), i.Operation)
		if i.Version != "" {
			fmt.Fprintf(&b, " by promptform v%s", strings.TrimPrefix(i.Version, "v"))
		}
		fmt.Fprintf(&b, "; lock ID %s. ", i.ID)
	}
	if e.Stale {
		fmt.Fprintf(&b, "Process %d no longer runs on this host, yet the lock is still held: "+
			"another process has the lock file open (one it left behind, or one in a container sharing this directory), "+
			"or a network file system has not released it yet. Stop that process; "+
			"the lock is free as soon as it exits. ", i.PID)
	}
	b.WriteString("Wait for the other operation to finish, or run again with -lock-timeout=DURATION (for example -lock-timeout=5m) to wait for the lock.")
	switch {
	case e.FreedWithHolder:
		b.WriteString(" A holder that is gone releases the lock with its connection: nothing needs unlocking by hand.")
	case i.ID != "":
		fmt.Fprintf(&b, " If its holder is gone, run: promptform force-unlock %s", i.ID)
	}
	return b.String()
}

// ForceUnlock removes the lock information of the state in configuration
// directory dir, if its ID is id. It fails, naming the actual ID, when the
// IDs differ, and when there is no lock information.
//
// ForceUnlock refuses while the flock is held by a process that is still
// running on this host. It never deletes the lock file and never takes the
// flock away: no
// process can release another's flock, and deleting a locked file would let
// a new apply lock a fresh file while the holder goes on. So if the holder
// is still running, it keeps the lock, its own Unlock still works, and Lock
// still fails until it exits (reporting a holder without information). If
// the holder is gone, the operating system has already released its flock,
// and ForceUnlock only clears the record it left, under the flock itself.
func ForceUnlock(dir, id string) error {
	return forceUnlockIn(filepath.Join(dir, Dir), id)
}

// forceUnlockIn is ForceUnlock on the state in the state directory
// stateDir.
func forceUnlockIn(stateDir, id string) error {
	path := filepath.Join(stateDir, LockFile)
	dir := stateDir
	info, ok := readLockInfo(path)
	switch {
	case !ok:
		return fmt.Errorf("state: no lock information in %s: the state of %s is not locked", path, dir)
	case info.ID != id:
		return fmt.Errorf("state: the lock in %s has ID %s, not %s; check the ID (the lock error shows it) and try again", path, info.ID, id)
	}
	fl := flock.New(path, flock.SetFlag(os.O_RDWR))
	held, err := fl.TryLock()
	if err == nil && !held && !holderGone(info) {
		// The holder is alive: clearing its record would only hide who
		// holds the lock, which it keeps until it ends.
		return fmt.Errorf("state: the lock %s is held by process %d on host %s, which is still running; wait for it to finish, or stop it, then apply again", info.ID, info.PID, info.Host)
	}
	if err == nil && held {
		defer fl.Unlock()
		if info, ok = readLockInfo(path); !ok || info.ID != id {
			return nil // released and cleared while we looked
		}
	}
	if err := os.Truncate(path, 0); err != nil {
		return fmt.Errorf("state: force-unlock %s: %w", path, err)
	}
	return nil
}

// holderGone reports whether the lock's holder is known to be gone: a
// process on this host that no longer exists.
func holderGone(info LockInfo) bool {
	host, _ := os.Hostname()
	return info.Host == host && info.PID > 0 && processGone(info.PID)
}
