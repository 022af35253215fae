package pgstate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// Workspaces lists the workspaces: the default one, and every one that
// NewWorkspace created or that was written to, sorted.
func (b *Backend) Workspaces(ctx context.Context) ([]string, error) {
	rows, err := b.pool.Query(ctx, `SELECT name FROM `+b.t.workspaces)
	if err != nil {
		return nil, b.srv.wrap("list the workspaces", b.Describe(), err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, b.srv.wrap("list the workspaces", b.Describe(), err)
	}
	names = append(names, state.DefaultWorkspace)
	slices.Sort(names)
	return slices.Compact(names), nil
}

// NewWorkspace creates an empty workspace: a workspaces row. The default
// workspace, and one that exists, cannot be created.
func (b *Backend) NewWorkspace(ctx context.Context, ws string) error {
	if err := state.CheckWorkspaceName(ws); err != nil {
		return err
	}
	if ws == state.DefaultWorkspace {
		return fmt.Errorf("workspace %q already exists", ws)
	}
	tag, err := b.pool.Exec(ctx, `INSERT INTO `+b.t.workspaces+` (name) VALUES ($1) ON CONFLICT DO NOTHING`, ws)
	if err != nil {
		return b.wrap("create the workspace", ws, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("workspace %q already exists", ws)
	}
	return nil
}

// DeleteWorkspace takes the workspace's lock (failing at once if it is
// held), then deletes its rows: workspace, state, journal and lock. The
// default workspace cannot be deleted.
func (b *Backend) DeleteWorkspace(ctx context.Context, ws string) error {
	if err := state.CheckWorkspaceName(ws); err != nil {
		return err
	}
	if ws == state.DefaultWorkspace {
		return errors.New("the default workspace cannot be deleted")
	}
	var exists bool
	err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+b.t.workspaces+` WHERE name = $1)`, ws).Scan(&exists)
	if err != nil {
		return b.wrap("look for the workspace", ws, err)
	}
	if !exists {
		return fmt.Errorf("workspace %q does not exist", ws)
	}
	l, err := b.lock(ctx, ws, state.LockInfo{Operation: "workspace delete"}, 0)
	if err != nil {
		return err
	}
	defer l.Unlock()
	err = pgx.BeginFunc(ctx, l.conn, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		for _, table := range []string{b.t.states, b.t.journal, b.t.locks} {
			batch.Queue(`DELETE FROM `+table+` WHERE workspace = $1`, ws)
		}
		batch.Queue(`DELETE FROM `+b.t.workspaces+` WHERE name = $1`, ws)
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return b.wrap("delete the workspace", ws, err)
	}
	return nil
}

// Exists reports whether the workspace has a state written: a states row,
// or journal rows not yet committed.
func (b *Backend) Exists(ctx context.Context, ws string) (bool, error) {
	ws, err := checkWorkspace(ws)
	if err != nil {
		return false, err
	}
	var ok bool
	err = b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+b.t.states+` WHERE workspace = $1)
		OR EXISTS (SELECT 1 FROM `+b.t.journal+` WHERE workspace = $1)`, ws).Scan(&ok)
	if err != nil {
		return false, b.wrap("look for the state", ws, err)
	}
	return ok, nil
}
