package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// Journal operations, the "op" of an entry: those of the local journal.
const (
	opStep    = "step"
	opRemove  = "rm"
	opOutputs = "outputs"
)

// entry is the JSON of a journal row: the change, without the lineage and
// serial that the row's columns hold.
type entry struct {
	Version int                      `json:"version"`
	Op      string                   `json:"op"`
	Step    *state.Step              `json:"step,omitempty"`
	Address string                   `json:"address,omitempty"`
	Outputs map[string]*state.Output `json:"outputs,omitempty"`
}

// check reports an entry that no promptform writes.
func (e *entry) check() error {
	switch {
	case e.Version > state.Version:
		return fmt.Errorf("format version %d, newer than this promptform understands (%d); upgrade promptform", e.Version, state.Version)
	case e.Version < 1:
		return fmt.Errorf("format version %d, which no promptform writes", e.Version)
	case e.Op == opStep && (e.Step == nil || e.Step.Address == ""):
		return errors.New(`a "step" entry without a step address`)
	case e.Op == opRemove && e.Address == "":
		return errors.New(`an "rm" entry without an address`)
	case e.Op != opStep && e.Op != opRemove && e.Op != opOutputs:
		return fmt.Errorf("unknown op %q", e.Op)
	}
	for name, o := range e.Outputs {
		if o == nil {
			return fmt.Errorf("an %q entry whose output %q is null", opOutputs, name)
		}
	}
	return nil
}

// apply applies the entry to st.
func (e *entry) apply(st *state.State) {
	switch e.Op {
	case opStep:
		st.Steps[e.Step.Address] = e.Step
	case opRemove:
		delete(st.Steps, e.Address)
	case opOutputs:
		st.Outputs = e.Outputs
		if st.Outputs == nil {
			st.Outputs = map[string]*state.Output{}
		}
	}
}

// load reads the workspace's state through db, with its journal applied,
// in one read-only snapshot, so that a Commit elsewhere is seen whole or
// not at all. A workspace without a states row has an empty state. It
// returns how many journal rows it applied.
func (b *Backend) load(ctx context.Context, db querier, ws string) (st *state.State, pending int, err error) {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err = pgx.BeginTxFunc(ctx, db, opts, func(tx pgx.Tx) error {
		var have bool
		if st, have, err = b.loadState(ctx, tx, ws); err != nil {
			return err
		}
		pending, err = b.replay(ctx, tx, ws, st, have)
		return err
	})
	if err != nil {
		return nil, 0, b.wrap("read the state", ws, err)
	}
	return st, pending, nil
}

// loadState reads the states row; have is false when there is none.
func (b *Backend) loadState(ctx context.Context, tx pgx.Tx, ws string) (*state.State, bool, error) {
	var data []byte
	err := tx.QueryRow(ctx, `SELECT data FROM `+b.t.states+` WHERE workspace = $1`, ws).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.New(), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	st, err := state.Decode(data, "the states row of "+b.Where(ws))
	if err != nil {
		return nil, false, &failure{msg: err.Error()}
	}
	return st, true, nil
}

// replay applies the workspace's journal rows to st in order. Rows of an
// older serial were folded into the state already (by a Commit of a writer
// without the lock) and are skipped; rows of another lineage or a newer
// serial are an error that says what to do.
func (b *Backend) replay(ctx context.Context, tx pgx.Tx, ws string, st *state.State, have bool) (int, error) {
	rows, err := tx.Query(ctx, `SELECT seq, lineage, serial, entry FROM `+b.t.journal+` WHERE workspace = $1 ORDER BY seq`, ws)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var r journalRow
		if err := rows.Scan(&r.seq, &r.lineage, &r.serial, &r.data); err != nil {
			return 0, err
		}
		if !have && n == 0 {
			st.Lineage = r.lineage // the state was never committed
		}
		applied, err := b.replayRow(ws, &r, st, have)
		if err != nil {
			return 0, err
		}
		if applied {
			n++
		}
	}
	return n, rows.Err()
}

// journalRow is a row of the journal table.
type journalRow struct {
	seq, serial int64
	lineage     string
	data        []byte
}

// replayRow checks one journal row against st and applies it.
func (b *Backend) replayRow(ws string, r *journalRow, st *state.State, have bool) (bool, error) {
	var e entry
	err := json.Unmarshal(r.data, &e)
	if err == nil {
		err = e.check()
	}
	switch {
	case err != nil:
		return false, b.badRow(ws, r, fmt.Sprintf("is not a valid journal entry (%v)", err))
	case r.lineage != st.Lineage:
		return false, b.badRow(ws, r, fmt.Sprintf("belongs to a state of lineage %q, but the state has lineage %q: "+
			"it is the journal of another state", r.lineage, st.Lineage))
	case r.serial > int64(st.Serial) && !have:
		return false, b.badRow(ws, r, fmt.Sprintf("extends serial %d of a state, but the workspace has no states row", r.serial))
	case r.serial > int64(st.Serial):
		return false, b.badRow(ws, r, fmt.Sprintf("extends serial %d, but the state has the older serial %d: "+
			"the states row was replaced by an older copy", r.serial, st.Serial))
	case r.serial < int64(st.Serial):
		return false, nil
	}
	e.apply(st)
	return true, nil
}

// badRow is the error of a journal row that cannot be replayed, saying
// what to do about it.
func (b *Backend) badRow(ws string, r *journalRow, what string) error {
	return failf("pgstate: the journal of %s: row seq %d %s. The journal holds progress not yet committed to the "+
		"state; restore the matching states row from a backup, or delete the workspace's journal rows "+
		"(DELETE FROM %s WHERE workspace = '%s'; the steps they record will run again)",
		b.Where(ws), r.seq, what, b.t.journal, ws)
}
