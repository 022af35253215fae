// Package pgtest gives tests the PostgreSQL server of the machine they run
// on: its connection string, the server started when it is down, and
// schemas of their own that are dropped when they end. Tests never use a
// mock: what the pg backend does is checked against the real server.
package pgtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultConnStr is the test server: the machine's own, trust auth,
// database test. PG_CONN_STR overrides it.
const DefaultConnStr = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ConnStr is the connection string of the test server.
func ConnStr() string { return cmp.Or(os.Getenv("PG_CONN_STR"), DefaultConnStr) }

var reach struct {
	once sync.Once
	err  error
}

// Require fails the test when the server cannot be reached, unless
// PROMPTFORM_SKIP_PG=1 says to skip the tests that need it. When the
// default server is down, it starts the machine's cluster first
// (pg_ctlcluster), as .ci/run does.
func Require(t testing.TB) string {
	t.Helper()
	if os.Getenv("PROMPTFORM_SKIP_PG") == "1" {
		t.Skip("PROMPTFORM_SKIP_PG=1: not testing against PostgreSQL")
	}
	reach.once.Do(func() {
		reach.err = ping()
		if reach.err != nil && os.Getenv("PG_CONN_STR") == "" && startCluster() == nil {
			for range 30 {
				if reach.err = ping(); reach.err == nil {
					break
				}
				time.Sleep(time.Second)
			}
		}
	})
	if reach.err != nil {
		t.Fatalf("PostgreSQL is not reachable (%v). Start it (pg_ctlcluster --skip-systemctl-redirect VERSION main start), "+
			"point PG_CONN_STR at another server, or set PROMPTFORM_SKIP_PG=1 to skip these tests", reach.err)
	}
	return ConnStr()
}

func ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ConnStr())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// startCluster starts the machine's PostgreSQL clusters named main.
func startCluster() error {
	versions, err := filepath.Glob("/etc/postgresql/*")
	if err != nil || len(versions) == 0 {
		return fmt.Errorf("no PostgreSQL cluster on this machine")
	}
	for _, v := range versions {
		exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", filepath.Base(v), "main", "start").Run()
	}
	return nil
}

// NewSchema returns the name of a schema of the test's own, dropped when
// the test ends (after what the test opened on it is closed: register
// those cleanups after calling NewSchema).
func NewSchema(t testing.TB, prefix string) string {
	t.Helper()
	Require(t)
	var b [6]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), ConnStr())
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
