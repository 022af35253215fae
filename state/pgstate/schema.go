package pgstate

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Table names, in the schema of the Backend.
const (
	tableWorkspaces = "workspaces"
	tableStates     = "states"
	tableJournal    = "journal"
	tableLocks      = "locks"
	tableAnswers    = "answers"
)

var tableNames = []string{tableWorkspaces, tableStates, tableJournal, tableLocks, tableAnswers}

// ddlKey is the key of the advisory lock that serialises the creation of
// schemas and tables.
var ddlKey = key("promptform", "pgstate", "create tables")

// tables holds the quoted, schema-qualified names of the tables.
type tables struct {
	schema, workspaces, states, journal, locks, answers string
}

func newTables(schema string) tables {
	q := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	return tables{
		schema:     pgx.Identifier{schema}.Sanitize(),
		workspaces: q(tableWorkspaces), states: q(tableStates), journal: q(tableJournal),
		locks: q(tableLocks), answers: q(tableAnswers),
	}
}

// ddl is what createTables runs. Journal entries and answer records are
// json, not jsonb, so that they read back byte for byte as they were
// written (jsonb reorders keys, which would change recorded requests and
// output values, and refuses "\u0000", which model answers can hold).
func (t tables) ddl() []string {
	return []string{
		`CREATE SCHEMA IF NOT EXISTS ` + t.schema,
		`CREATE TABLE IF NOT EXISTS ` + t.workspaces + ` (
			name       text PRIMARY KEY,
			created_at timestamptz NOT NULL DEFAULT now()
		)`,
		`CREATE TABLE IF NOT EXISTS ` + t.states + ` (
			workspace  text PRIMARY KEY,
			lineage    text NOT NULL,
			serial     bigint NOT NULL,
			data       bytea NOT NULL,
			updated_at timestamptz NOT NULL DEFAULT now()
		)`,
		`CREATE TABLE IF NOT EXISTS ` + t.journal + ` (
			seq         bigserial PRIMARY KEY,
			workspace   text NOT NULL,
			lineage     text NOT NULL,
			serial      bigint NOT NULL,
			entry       json NOT NULL,
			recorded_at timestamptz NOT NULL DEFAULT now()
		)`,
		`CREATE INDEX IF NOT EXISTS journal_workspace_seq ON ` + t.journal + ` (workspace, seq)`,
		`CREATE TABLE IF NOT EXISTS ` + t.locks + ` (
			workspace   text PRIMARY KEY,
			info        jsonb NOT NULL,
			backend_pid integer NOT NULL,
			locked_at   timestamptz NOT NULL DEFAULT now()
		)`,
		`CREATE TABLE IF NOT EXISTS ` + t.answers + ` (
			request_hash text PRIMARY KEY,
			record       json NOT NULL,
			recorded_at  timestamptz NOT NULL DEFAULT now()
		)`,
	}
}

// createTables creates the schema and its tables unless they all exist
// (then it needs no CREATE privilege), under ddlKey.
func (b *Backend) createTables(ctx context.Context) error {
	var n int
	err := b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = ANY($2)`,
		b.srv.schema, tableNames).Scan(&n)
	if err != nil {
		return b.srv.wrap("look for the tables", b.Describe(), err)
	}
	if n == len(tableNames) {
		return nil
	}
	err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ddlKey); err != nil {
			return err
		}
		for _, stmt := range b.t.ddl() {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return b.srv.wrap("create the schema and its tables", b.Describe(), err)
	}
	return nil
}
