package pgstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// How long one write may take: a journal row, then a whole state.
const (
	writeTimeout  = time.Minute
	commitTimeout = 10 * time.Minute
)

// writer is the state.Writer of a workspace. It writes through the
// connection that holds the workspace's lock (or through the pool, opened
// without one), so once the lock is lost, with its connection, every
// write fails. Its methods are safe for concurrent use.
type writer struct {
	mu      sync.Mutex
	b       *Backend
	ws      string
	db      querier
	lock    *heldLock // nil without the lock
	st      *state.State
	pending int
	known   bool // the workspaces row exists
	closed  bool
}

var _ state.Writer = (*writer)(nil)

// State returns the state with every change applied.
func (w *writer) State() *state.State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

// Pending is how many journal rows the states row does not hold.
func (w *writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pending
}

// Record appends the step to the journal and, for an answer that may be
// reused (not failed, not offline), writes it to the answers table, in one
// transaction: when Record returns, both are committed. The writer keeps
// step.
func (w *writer) Record(step *state.Step) error {
	if step == nil || step.Address == "" {
		return errors.New("pgstate: record: a step needs an address")
	}
	var answer *state.Step
	if step.RequestHash != "" && step.Failed == "" && !step.Offline {
		answer = step
	}
	return w.write("record "+step.Address, &entry{Op: opStep, Step: step}, answer)
}

// Remove appends the removal of the step at addr to the journal.
func (w *writer) Remove(addr string) error {
	if addr == "" {
		return errors.New("pgstate: remove: empty address")
	}
	return w.write("remove "+addr, &entry{Op: opRemove, Address: addr}, nil)
}

// SetOutputs appends the new set of outputs to the journal.
func (w *writer) SetOutputs(outputs map[string]*state.Output) error {
	if outputs == nil {
		outputs = map[string]*state.Output{}
	}
	for name, o := range outputs {
		if o == nil {
			return fmt.Errorf("pgstate: set outputs: output %q has no record", name)
		}
	}
	return w.write("set the outputs", &entry{Op: opOutputs, Outputs: outputs}, nil)
}

// write commits e as a journal row (and answer to the answers table),
// then applies it to the state. A write that fails changes nothing.
func (w *writer) write(op string, e *entry, answer *state.Step) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return state.ErrClosed
	}
	e.Version = state.Version
	batch, err := w.journalBatch(e, answer)
	if err != nil {
		return fmt.Errorf("pgstate: %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err = pgx.BeginFunc(ctx, w.db, func(tx pgx.Tx) error { return tx.SendBatch(ctx, batch).Close() })
	if err != nil {
		return w.failed(op, err, "")
	}
	w.known = true
	e.apply(w.st)
	w.pending++
	if answer != nil {
		w.b.answers.add(answer.RequestHash)
	}
	return nil
}

// journalBatch is the statements of a write.
func (w *writer) journalBatch(e *entry, answer *state.Step) (*pgx.Batch, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode journal entry: %w", err)
	}
	t := w.b.t
	batch := &pgx.Batch{}
	if !w.known {
		batch.Queue(`INSERT INTO `+t.workspaces+` (name) VALUES ($1) ON CONFLICT DO NOTHING`, w.ws)
	}
	batch.Queue(`INSERT INTO `+t.journal+` (workspace, lineage, serial, entry) VALUES ($1, $2, $3, $4)`,
		w.ws, w.st.Lineage, int64(w.st.Serial), data)
	if answer != nil {
		rec, err := json.Marshal(answer)
		if err != nil {
			return nil, fmt.Errorf("encode answer: %w", err)
		}
		batch.Queue(`INSERT INTO `+t.answers+` (request_hash, record) VALUES ($1, $2)
			ON CONFLICT (request_hash) DO UPDATE SET record = EXCLUDED.record, recorded_at = now()`,
			answer.RequestHash, rec)
	}
	return batch, nil
}

// Commit writes the state, with its serial incremented, to the states
// row and deletes the workspace's journal rows, in one transaction.
func (w *writer) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return state.ErrClosed
	}
	return w.save("commit the state", w.st, w.st.Serial+1)
}

// Replace writes st as the workspace's state, as Commit does, with the
// serial one more than the larger of st's and the replaced state's. The
// writer keeps st.
func (w *writer) Replace(st *state.State) error {
	if st == nil {
		return errors.New("pgstate: replace: no state")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return state.ErrClosed
	}
	return w.save("replace the state", st, max(st.Serial, w.st.Serial)+1)
}

// save writes st with serial to the states row and clears the journal. A
// states row whose serial is already as high (written meanwhile by a
// writer without the lock) is left alone, and save fails.
func (w *writer) save(op string, st *state.State, serial uint64) error {
	old, oldVersion := st.Serial, st.Version
	st.Serial, st.Version = serial, state.Version
	err := w.saveTx(st)
	if err != nil {
		st.Serial, st.Version = old, oldVersion
		hint := ""
		if w.pending > 0 && st == w.st {
			hint = ". Nothing is lost: the journal still holds every recorded step, and the next apply commits it"
		}
		return w.failed(op, err, hint)
	}
	w.st, w.pending, w.known = st, 0, true
	return nil
}

// saveTx is the transaction of save.
func (w *writer) saveTx(st *state.State) error {
	var buf bytes.Buffer
	if err := st.Encode(&buf); err != nil {
		return failf("pgstate: %s: encode the state: %v", w.b.Where(w.ws), err)
	}
	t := w.b.t
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	return pgx.BeginFunc(ctx, w.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO `+t.states+` AS cur (workspace, lineage, serial, data) VALUES ($1, $2, $3, $4)
			ON CONFLICT (workspace) DO UPDATE SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial,
				data = EXCLUDED.data, updated_at = now()
			WHERE cur.serial < EXCLUDED.serial`,
			w.ws, st.Lineage, int64(st.Serial), buf.Bytes())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return failf("pgstate: %s already has a state of serial %d or more, written by a process that did not "+
				"take the lock while this one wrote: nothing was saved. Run the command again", w.b.Where(w.ws), st.Serial)
		}
		batch := &pgx.Batch{}
		batch.Queue(`DELETE FROM `+t.journal+` WHERE workspace = $1`, w.ws)
		batch.Queue(`INSERT INTO `+t.workspaces+` (name) VALUES ($1) ON CONFLICT DO NOTHING`, w.ws)
		return tx.SendBatch(ctx, batch).Close()
	})
}

// failed is the error of a write that failed; hint ends its message.
// A lost connection means a lost lock, and the message says so.
func (w *writer) failed(op string, err error, hint string) error {
	err = w.b.wrap(op, w.ws, err)
	var f *failure
	if !errors.As(err, &f) {
		return err
	}
	msg := f.msg + hint
	if w.lock != nil && w.lock.lost() {
		msg = f.msg + ". The connection that held the workspace's lock is closed, so the lock is gone too: " +
			"what was recorded before is kept; run the command again"
	}
	return &failure{msg: msg, cause: f.cause}
}

// Close ends writing, keeping the journal for the next open, and releases
// the lock. It is idempotent; writes after it return state.ErrClosed.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.lock != nil {
		return w.lock.Unlock()
	}
	return nil
}
