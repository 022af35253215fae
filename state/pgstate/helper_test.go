package pgstate

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
	"github.com/promptform/promptform/state/pgstate/pgtest"
)

// The crash test re-executes the test binary as a writer it can kill:
// helperEnv holds the schema it writes to.
const helperEnv = "PROMPTFORM_PGSTATE_TEST_HELPER"

func TestMain(m *testing.M) {
	if schema := os.Getenv(helperEnv); schema != "" {
		helperHold(schema)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// helperHold opens the default workspace of schema under the lock, records
// three steps, says so, and waits to be killed.
func helperHold(schema string) {
	ctx := context.Background()
	b, err := Open(ctx, Config{ConnStr: connStr(), SchemaName: schema})
	if err == nil {
		var w state.Writer
		if w, _, err = b.OpenLocked(ctx, state.DefaultWorkspace, state.LockInfo{Operation: "apply"}, 0); err == nil {
			for i := range 3 {
				if err = w.Record(testStep(i)); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("recorded")
	time.Sleep(time.Minute) // a safety net: the test kills it long before
	os.Exit(0)
}

// startHolder starts helperHold on schema and waits until it has recorded.
func startHolder(t *testing.T, schema string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+schema)
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "recorded\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper did not record: %q, stderr: %s", line, stderr)
	}
	return cmd
}

func connStr() string { return pgtest.ConnStr() }

// requirePG fails the test when the server cannot be reached (see
// pgtest.Require).
func requirePG(t *testing.T) {
	t.Helper()
	pgtest.Require(t)
}

// admin returns a connection for the test's own queries, closed when the
// test ends.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	requirePG(t)
	conn, err := pgx.Connect(context.Background(), connStr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// newSchema returns the name of a schema of the test's own, dropped when
// the test ends (after the backends opened on it are closed).
func newSchema(t *testing.T) string {
	t.Helper()
	return pgtest.NewSchema(t, "pgstate_test_")
}

// openBackend opens a Backend on schema, closed when the test ends.
func openBackend(t *testing.T, schema string) *Backend {
	t.Helper()
	b, err := Open(context.Background(), Config{ConnStr: connStr(), SchemaName: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// openLocked opens ws under the lock for op, and closes the writer when
// the test ends.
func openLocked(t *testing.T, b *Backend, ws, op string) state.Writer {
	t.Helper()
	w, warns, err := b.OpenLocked(context.Background(), ws, state.LockInfo{Operation: op, Version: "0.1.0"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) > 0 {
		t.Errorf("unexpected warnings: %v", warns)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// read reads ws and fails the test on an error.
func read(t *testing.T, b *Backend, ws string) *state.State {
	t.Helper()
	st, _, err := b.Read(context.Background(), ws)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// count returns the number of rows of table in schema that match where.
func count(t *testing.T, conn *pgx.Conn, schema, table, where string, args ...any) int {
	t.Helper()
	var n int
	q := fmt.Sprintf("SELECT count(*) FROM %s.%s WHERE %s", schema, table, where)
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// testStep returns a recorded answer with the hash of i.
func testStep(i int) *state.Step {
	return &state.Step{
		Address: fmt.Sprintf("step.s[%d]", i), Name: "s", Key: []byte(fmt.Sprint(i)),
		RequestHash: hashOf(i),
		Request:     []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"a":1}`),
		Output:      fmt.Sprintf("answer %d", i), ToolCalls: []state.ToolCall{}, Model: "m",
		FinishReason: "stop", Usage: state.Usage{InputTokens: 3, OutputTokens: 5, TotalTokens: 8},
	}
}

func hashOf(i int) string { return fmt.Sprintf("sha256:%064x", i) }

// addresses returns the state's step addresses, joined.
func addresses(st *state.State) string { return strings.Join(st.Addresses(), " ") }
