package pgstate

import (
	"cmp"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultSchema is the schema of the tables when Config.SchemaName is empty.
const DefaultSchema = "promptform"

// Config says which database, and which schema in it, keep the states.
type Config struct {
	// ConnStr is a libpq connection string, keyword/value
	// ("host=db.internal dbname=ci") or URL
	// ("postgres://ci@db.internal:5432/ci?sslmode=verify-full"). What it
	// leaves out comes from the PG* environment variables and libpq's
	// defaults; pgx's pool settings (pool_max_conns=4) are accepted. Its
	// password never appears in a message.
	ConnStr string
	// SchemaName is the schema of the tables, created if missing; empty
	// means DefaultSchema. It is a plain identifier: a letter or '_', then
	// letters, digits and '_', at most 63 characters, not starting "pg_".
	SchemaName string
}

// validSchema is what a schema name may be: an identifier that needs no
// quoting but for case, and that PostgreSQL does not truncate.
var validSchema = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// checkSchemaName reports a schema name that cannot be used.
func checkSchemaName(s string) error {
	if !validSchema.MatchString(s) || strings.HasPrefix(strings.ToLower(s), "pg_") {
		return fmt.Errorf("pgstate: %q is not a valid schema name: use letters, digits and '_', "+
			"starting with a letter or '_' (but not \"pg_\"), at most 63 characters", s)
	}
	return nil
}

// server is what messages say of where the states are, taken from the
// parsed configuration: never the password.
type server struct {
	addr     string // host:port of the first host
	database string
	schema   string
	secrets  []string // what redact hides
}

// newServer describes the parsed configuration pcfg of connStr.
func newServer(connStr string, pcfg *pgxpool.Config, schema string) server {
	cc := pcfg.ConnConfig
	return server{
		addr:     net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))),
		database: cmp.Or(cc.Database, cc.User),
		schema:   schema,
		secrets:  secrets(connStr, cc.Password),
	}
}

// describe is Backend.Describe.
func (s *server) describe() string {
	return fmt.Sprintf("PostgreSQL at %s, database %s, schema %s", s.addr, s.database, s.schema)
}

// where is Backend.Where.
func (s *server) where(ws string) string {
	return fmt.Sprintf("%s, workspace %q", s.describe(), ws)
}
