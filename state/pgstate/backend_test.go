package pgstate

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/promptform/promptform/state"
)

func TestOpenCreatesTables(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	// Two processes opening a new schema at once both succeed.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			b, err := Open(context.Background(), Config{ConnStr: connStr(), SchemaName: schema})
			if err == nil {
				b.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(context.Background(), `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		got = append(got, name)
	}
	if want := []string{"answers", "journal", "locks", "states", "workspaces"}; !slices.Equal(got, want) {
		t.Errorf("wrong tables\ngot:  %v\nwant: %v", got, want)
	}
	b := openBackend(t, schema) // a third open finds them
	if got := read(t, b, state.DefaultWorkspace); len(got.Steps) != 0 || got.Lineage == "" {
		t.Errorf("a new schema has the state %+v, want an empty one", got)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"postgres://ci:pw@db.internal:5433/states?sslmode=disable": "PostgreSQL at db.internal:5433, database states, schema s",
		"host=127.0.0.1 user=postgres password=pw dbname=test":     "PostgreSQL at 127.0.0.1:5432, database test, schema s",
		"postgres://ci@[::1]/ci":                                   "PostgreSQL at [::1]:5432, database ci, schema s",
	}
	for connStr, want := range tests {
		pcfg, err := pgxpool.ParseConfig(connStr)
		if err != nil {
			t.Fatal(err)
		}
		srv := newServer(connStr, pcfg, "s")
		if got := srv.describe(); got != want {
			t.Errorf("wrong Describe\ngot:  %s\nwant: %s", got, want)
		}
		if got := srv.where("dev"); got != want+`, workspace "dev"` {
			t.Errorf("wrong Where\ngot:  %s\nwant: %s, workspace \"dev\"", got, want)
		}
	}
}

func TestOpenInvalidSchema(t *testing.T) {
	t.Parallel()
	for _, name := range []string{`bad"name`, "1abc", "a-b", "pg_catalog", "PG_x", strings.Repeat("a", 64), "a b", "a;drop"} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(context.Background(), Config{ConnStr: connStr(), SchemaName: name})
			if err == nil || !strings.Contains(err.Error(), "is not a valid schema name") {
				t.Errorf("got error %v, want one saying %q is not a valid schema name", err, name)
			}
		})
	}
}

// TestConnectionErrors checks that a failure to connect, or to parse the
// connection string, names the server and never shows the password.
func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	const pw = "S3cretPassw0rd"
	tests := map[string]struct {
		connStr string
		want    []string
	}{
		"refused URL": {
			"postgres://postgres:" + pw + "@127.0.0.1:1/test?sslmode=disable",
			[]string{"cannot connect to PostgreSQL at 127.0.0.1:1 (database test): connection refused"},
		},
		"refused keyword/value": {
			"host=127.0.0.1 port=1 user=postgres password=" + pw + " dbname=test sslmode=disable",
			[]string{"cannot connect to PostgreSQL at 127.0.0.1:1 (database test): connection refused"},
		},
		"refused quoted": {
			"host=127.0.0.1 port=1 user=postgres password='" + pw + " x' dbname=test sslmode=disable",
			[]string{"127.0.0.1:1", "connection refused"},
		},
		"refused query password": {
			"postgres://postgres@127.0.0.1:1/test?sslmode=disable&password=" + pw,
			[]string{"127.0.0.1:1", "connection refused"},
		},
		"no such database": {
			"postgres://postgres:" + pw + "@127.0.0.1:5432/pgstate_no_such_db?sslmode=disable",
			[]string{"cannot connect to PostgreSQL at 127.0.0.1:5432 (database pgstate_no_such_db):", "does not exist"},
		},
		"bad port": {
			"postgres://postgres:" + pw + "@127.0.0.1:notaport/test",
			[]string{"invalid connection string"},
		},
		"bad URL escape": {
			"postgres://postgres:" + pw + "%zz@127.0.0.1/test",
			[]string{"invalid connection string"},
		},
		"bad keyword/value": {
			"host=127.0.0.1 password=" + pw + " port=abc",
			[]string{"invalid connection string"},
		},
		"unterminated quote": {
			"host=127.0.0.1 password='" + pw,
			[]string{"invalid connection string"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(tt.connStr, "5432") {
				requirePG(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			b, err := Open(ctx, Config{ConnStr: tt.connStr})
			if err == nil {
				b.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			for err := error(err); err != nil; err = errors.Unwrap(err) {
				if strings.Contains(err.Error(), pw) {
					t.Errorf("an error shows the password: %s", err)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("wrong error\ngot:  %s\nwant: containing %q", err, w)
				}
			}
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Open(ctx, Config{ConnStr: "postgres://postgres:pw@127.0.0.1:1/test"})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("got error %v, want context.Canceled naming 127.0.0.1:1", err)
	}
}
