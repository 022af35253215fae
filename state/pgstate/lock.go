package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// lockPoll is how often a lock is tried again while it is waited for.
const lockPoll = 50 * time.Millisecond

// unlockTimeout bounds what Unlock says to the server before it closes
// the connection.
const unlockTimeout = 10 * time.Second

// heldLock is a workspace's lock: a session-level advisory lock held by a
// connection that nothing else uses, and the locks row that says who
// holds it. The server releases the advisory lock when the session ends,
// however it ends; a locks row left behind is only a record, overwritten
// by the next holder.
type heldLock struct {
	mu   sync.Mutex
	b    *Backend
	ws   string
	key  int64
	conn *pgx.Conn // nil once unlocked
	info state.LockInfo
}

var _ state.Unlocker = (*heldLock)(nil)

// lockKey is the advisory lock key of a workspace of the schema.
func (b *Backend) lockKey(ws string) int64 { return key("promptform", b.srv.schema, ws) }

// lock takes the workspace's lock on a new connection: at once, then every
// lockPoll until timeout has passed or ctx is done. A lock held elsewhere
// is a *state.LockedError naming the holder.
func (b *Backend) lock(ctx context.Context, ws string, req state.LockInfo, timeout time.Duration) (*heldLock, error) {
	conn, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	l := &heldLock{b: b, ws: ws, key: b.lockKey(ws), conn: conn, info: state.NewLockInfo(req)}
	if err := l.wait(ctx, timeout); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	if err := l.record(ctx); err != nil {
		l.Unlock()
		return nil, b.wrap("record the lock", ws, err)
	}
	return l, nil
}

// wait tries the advisory lock until it is taken, timeout has passed or
// ctx is done.
func (l *heldLock) wait(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := l.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&ok)
		switch {
		case ctx.Err() != nil:
			return l.interrupted(ctx)
		case err != nil:
			return l.b.wrap("take the lock", l.ws, err)
		case ok:
			return nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return l.b.lockedError(ctx, l.conn, l.ws)
		}
		t := time.NewTimer(min(wait, lockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return l.interrupted(ctx)
		case <-t.C:
		}
	}
}

// interrupted is the error of a wait that ctx ended.
func (l *heldLock) interrupted(ctx context.Context) error {
	return &failure{msg: fmt.Sprintf("pgstate: waiting for the lock on %s: %v", l.b.Where(l.ws), ctx.Err()), cause: ctx.Err()}
}

// record writes the locks row of the holder, with its backend's pid, by
// which lockedError tells its row from a stale one.
func (l *heldLock) record(ctx context.Context) error {
	info, err := json.Marshal(l.info)
	if err != nil {
		return err
	}
	_, err = l.conn.Exec(ctx, `INSERT INTO `+l.b.t.locks+` (workspace, info, backend_pid) VALUES ($1, $2, pg_backend_pid())
		ON CONFLICT (workspace) DO UPDATE SET info = EXCLUDED.info, backend_pid = EXCLUDED.backend_pid, locked_at = now()`,
		l.ws, info)
	return err
}

// Unlock deletes the lock's row, releases the advisory lock and closes its
// connection. Closing the connection ends the session, which releases the
// lock whatever happened before, so Unlock reports no error: a row it
// could not delete is stale and harmless. It is idempotent.
func (l *heldLock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	if !l.conn.IsClosed() {
		l.conn.Exec(ctx, `DELETE FROM `+l.b.t.locks+` WHERE workspace = $1 AND info->>'id' = $2`, l.ws, l.info.ID)
		l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	}
	l.conn.Close(ctx)
	l.conn = nil
	return nil
}

// lost reports whether the lock's connection is closed, and so the lock
// with it.
func (l *heldLock) lost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn == nil || l.conn.IsClosed()
}

// lockedError is the error of a lock held elsewhere. It names the holder
// from the locks row only when the row is the holder's (its backend pid is
// the one holding the advisory lock): a row left by a holder that is gone,
// while a new one has not yet written its own, names nobody.
func (b *Backend) lockedError(ctx context.Context, db querier, ws string) error {
	e := &state.LockedError{Path: b.Where(ws), FreedWithHolder: true}
	holder, err := b.holderPID(ctx, db, ws)
	if err != nil || holder == 0 {
		return e
	}
	info, pid, err := b.lockRow(ctx, db, ws)
	if err == nil && pid == holder {
		e.Info = info
	}
	return e
}

// holderPID is the backend pid of the session holding the workspace's
// advisory lock, or 0.
func (b *Backend) holderPID(ctx context.Context, db querier, ws string) (int32, error) {
	k := uint64(b.lockKey(ws))
	var pid int32
	err := db.QueryRow(ctx, `SELECT pid FROM pg_catalog.pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
			AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
			AND classid::bigint = $1 AND objid::bigint = $2`, int64(k>>32), int64(k&0xffffffff)).Scan(&pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return pid, err
}

// lockRow reads the workspace's locks row: pgx.ErrNoRows when there is
// none.
func (b *Backend) lockRow(ctx context.Context, db querier, ws string) (state.LockInfo, int32, error) {
	var (
		raw  []byte
		pid  int32
		info state.LockInfo
	)
	err := db.QueryRow(ctx, `SELECT info, backend_pid FROM `+b.t.locks+` WHERE workspace = $1`, ws).Scan(&raw, &pid)
	if err == nil {
		err = json.Unmarshal(raw, &info)
	}
	return info, pid, err
}
