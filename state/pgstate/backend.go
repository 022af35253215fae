package pgstate

import (
	"cmp"
	"context"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/promptform/promptform/state"
)

// applicationName is what pg_stat_activity shows for promptform's
// sessions, unless the connection string names another.
const applicationName = "promptform"

// Backend is a state.Backend in a PostgreSQL schema. It holds a pool of
// connections for reads and unlocked writes; each lock (and so each locked
// Writer) has a connection of its own besides. A Backend is safe for
// concurrent use; Close it after the Writers and locks it returned.
type Backend struct {
	srv     server
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig // for the connections of locks
	t       tables
	answers *answers
}

var _ state.Backend = (*Backend)(nil)

// querier is what a Writer writes through: the connection that holds its
// lock, or the pool.
type querier interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Open connects to the database of cfg.ConnStr, ctx bounding the attempt,
// creates the schema and its tables if they do not exist (under a
// transaction-level advisory lock, so processes that open a new schema at
// once do not collide), and returns the backend. A server that cannot be
// reached is an error naming host:port and the database, never the
// password.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	schema := cmp.Or(cfg.SchemaName, DefaultSchema)
	if err := checkSchemaName(schema); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.ConnStr)
	if err != nil {
		return nil, parseError(cfg.ConnStr, err)
	}
	if pcfg.ConnConfig.RuntimeParams["application_name"] == "" {
		pcfg.ConnConfig.RuntimeParams["application_name"] = applicationName
	}
	b := &Backend{srv: newServer(cfg.ConnStr, pcfg, schema), connCfg: pcfg.ConnConfig.Copy(), t: newTables(schema)}
	b.answers = &answers{b: b}
	b.pool, err = pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, b.srv.connError(err)
	}
	if err := b.createTables(ctx); err != nil {
		b.pool.Close()
		return nil, err
	}
	return b, nil
}

// Describe names the server, database and schema:
// "PostgreSQL at HOST:PORT, database DB, schema S".
func (b *Backend) Describe() string { return b.srv.describe() }

// Where names a workspace's state: Describe and `workspace "ws"`.
func (b *Backend) Where(ws string) string { return b.srv.where(wsName(ws)) }

// Answers returns the answer cache the schema's workspaces share.
func (b *Backend) Answers() state.Answers { return b.answers }

// Close closes the pool. Writers and locks still open keep their own
// connections until their Close or Unlock.
func (b *Backend) Close() error {
	b.pool.Close()
	return nil
}

// connect opens a connection outside the pool, for a lock: nothing else
// ever uses it, and closing it releases the lock.
func (b *Backend) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, b.connCfg.Copy())
	if err != nil {
		return nil, b.srv.connError(err)
	}
	return conn, nil
}

// wrap is server.wrap for the workspace ws.
func (b *Backend) wrap(op, ws string, err error) error { return b.srv.wrap(op, b.Where(ws), err) }

// wsName is the workspace an empty name means.
func wsName(ws string) string { return cmp.Or(ws, state.DefaultWorkspace) }

// checkWorkspace normalises and checks a workspace name.
func checkWorkspace(ws string) (string, error) {
	ws = wsName(ws)
	if err := state.CheckWorkspaceName(ws); err != nil {
		return "", err
	}
	return ws, nil
}

// key returns the 64-bit FNV-1a hash of parts, each ended by a NUL: the
// key of an advisory lock.
func key(parts ...string) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}
