package pgstate

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// Read reads the workspace's state with its journal applied, taking no
// lock. A workspace that has no state yet, or does not exist, has an
// empty one. It returns no warnings: a journal row is committed whole or
// not at all.
func (b *Backend) Read(ctx context.Context, ws string) (*state.State, []state.Warning, error) {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return nil, nil, err
	}
	st, _, err := b.load(ctx, b.pool, ws)
	if err != nil {
		return nil, nil, err
	}
	return st, nil, nil
}

// OpenLocked takes the workspace's lock (see Lock), then reads its state
// through the lock's connection and returns a Writer that holds the lock
// until its Close. A lock that cannot be taken is a *state.LockError.
// After it replays journal rows, Pending says how many, for the caller to
// Commit.
func (b *Backend) OpenLocked(ctx context.Context, ws string, req state.LockInfo, timeout time.Duration) (state.Writer, []state.Warning, error) {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return nil, nil, err
	}
	l, err := b.lock(ctx, ws, req, timeout)
	if err != nil {
		return nil, nil, &state.LockError{Err: err}
	}
	st, pending, err := b.load(ctx, l.conn, ws)
	if err != nil {
		l.Unlock()
		return nil, nil, err
	}
	return &writer{b: b, ws: ws, db: l.conn, lock: l, st: st, pending: pending}, nil, nil
}

// OpenUnlocked opens the workspace's state for writing without the lock,
// writing through the pool.
func (b *Backend) OpenUnlocked(ctx context.Context, ws string) (state.Writer, []state.Warning, error) {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return nil, nil, err
	}
	st, pending, err := b.load(ctx, b.pool, ws)
	if err != nil {
		return nil, nil, err
	}
	return &writer{b: b, ws: ws, db: b.pool, st: st, pending: pending}, nil, nil
}

// Lock takes the workspace's lock alone: a session-level advisory lock on
// a connection of its own (its key the FNV-1a hash of the schema and the
// workspace), tried at once and then every 50ms until timeout has passed
// (0: fail at once) or ctx is done. Once it holds it, it writes a locks
// row with req's Operation and Version and this process's ID, Who, PID,
// Host and Created. A lock held elsewhere is a *state.LockedError naming
// the holder.
func (b *Backend) Lock(ctx context.Context, ws string, req state.LockInfo, timeout time.Duration) (state.Unlocker, error) {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return nil, err
	}
	l, err := b.lock(ctx, ws, req, timeout)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ForceUnlock deletes the workspace's locks row if its ID is id and its
// holder is gone. A holder that is gone has already released the advisory
// lock with its session, so this only clears a stale record, which the
// next holder would overwrite anyway. It fails, saying so, while a live
// session holds the lock, and names the actual ID when it is not id.
func (b *Backend) ForceUnlock(ctx context.Context, ws, id string) error {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return err
	}
	info, pid, err := b.lockRow(ctx, b.pool, ws)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return failf("pgstate: no lock information for %s: the workspace is not locked", b.Where(ws))
	case err != nil:
		return b.wrap("read the lock", ws, err)
	case info.ID != id:
		return failf("pgstate: the lock on %s has ID %s, not %s; check the ID (the lock error shows it) and try again",
			b.Where(ws), info.ID, id)
	}
	l, err := b.lock(ctx, ws, state.LockInfo{Operation: "force-unlock"}, 0)
	var locked *state.LockedError
	if errors.As(err, &locked) {
		return b.stillHeld(ctx, ws, info, pid)
	}
	if err != nil {
		return err
	}
	return l.Unlock() // deletes l's row, which replaced the stale one
}

// stillHeld is the error of a ForceUnlock whose lock is held by a live
// session.
func (b *Backend) stillHeld(ctx context.Context, ws string, info state.LockInfo, rowPID int32) error {
	holder, err := b.holderPID(ctx, b.pool, ws)
	if err == nil && holder != 0 && holder != rowPID {
		return failf("pgstate: the lock on %s is now held by another session (PostgreSQL backend pid %d), "+
			"not the holder of lock %s, which is gone; its record is replaced when the new holder writes its own",
			b.Where(ws), holder, info.ID)
	}
	return failf("pgstate: the lock %s on %s is held by process %d on host %s, which is still connected "+
		"(PostgreSQL backend pid %d); wait for it to finish, or stop it, then apply again",
		info.ID, b.Where(ws), info.PID, info.Host, rowPID)
}
