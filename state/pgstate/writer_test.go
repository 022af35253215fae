package pgstate

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/promptform/promptform/state"
)

func TestRecordThenReopen(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "default", "apply")
	rec := testStep(0)
	for _, err := range []error{
		w.Record(rec), w.Record(testStep(1)), w.Remove("step.s[1]"),
		w.SetOutputs(map[string]*state.Output{"o": {Value: json.RawMessage(`{"z":1,"a":[1.50]}`), Type: json.RawMessage(`"dynamic"`)}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Pending(); got != 4 {
		t.Errorf("Pending is %d after 4 writes, want 4", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Record(testStep(2)); !errors.Is(err, state.ErrClosed) {
		t.Errorf("Record after Close: got %v, want state.ErrClosed", err)
	}

	// Another checkout reads the journal, byte for byte.
	st := read(t, openBackend(t, schema), "default")
	if got, want := addresses(st), "step.s[0]"; got != want {
		t.Errorf("wrong steps\ngot:  %s\nwant: %s", got, want)
	}
	if got := st.Steps["step.s[0]"]; string(got.Request) != string(rec.Request) || got.Output != rec.Output {
		t.Errorf("wrong record\ngot:  %s %q\nwant: %s %q", got.Request, got.Output, rec.Request, rec.Output)
	}
	if got, want := string(st.Outputs["o"].Value), `{"z":1,"a":[1.50]}`; got != want {
		t.Errorf("wrong output\ngot:  %s\nwant: %s", got, want)
	}
	if st.Serial != 0 {
		t.Errorf("serial %d before any Commit, want 0", st.Serial)
	}

	// A writer closed without Commit leaves its journal for the next open.
	w2 := openLocked(t, b, "default", "apply")
	if got := w2.Pending(); got != 4 {
		t.Errorf("the next open has %d pending rows, want 4", got)
	}
	if got := w2.State().Lineage; got != st.Lineage {
		t.Errorf("the journal's lineage is %s, then %s", st.Lineage, got)
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "dev", "apply")
	lineage := w.State().Lineage
	for i := range 3 {
		if err := w.Record(testStep(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, conn, schema, "journal", "workspace = 'dev'"); got != 3 {
		t.Errorf("%d journal rows, want 3", got)
	}
	for serial := uint64(1); serial <= 2; serial++ {
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := w.State().Serial; got != serial {
			t.Errorf("serial %d after Commit %d", got, serial)
		}
	}
	if got := w.Pending(); got != 0 {
		t.Errorf("Pending is %d after Commit, want 0", got)
	}
	if got := count(t, conn, schema, "journal", "workspace = 'dev'"); got != 0 {
		t.Errorf("Commit left %d journal rows", got)
	}
	var serial int64
	var rowLineage string
	conn.QueryRow(context.Background(), "SELECT serial, lineage FROM "+schema+".states WHERE workspace = 'dev'").Scan(&serial, &rowLineage)
	if serial != 2 || rowLineage != lineage {
		t.Errorf("the states row has serial %d, lineage %s; want 2, %s", serial, rowLineage, lineage)
	}
	w.Close()
	st := read(t, b, "dev")
	if st.Serial != 2 || st.Lineage != lineage || addresses(st) != "step.s[0] step.s[1] step.s[2]" {
		t.Errorf("read back serial %d lineage %s steps %s", st.Serial, st.Lineage, addresses(st))
	}
	if w := openLocked(t, b, "dev", "apply"); w.Pending() != 0 {
		t.Errorf("%d pending rows after Commit", w.Pending())
	}
}

func TestReplace(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "default", "state push")
	w.Record(testStep(0))
	w.Commit()
	w.Commit()
	w.Record(testStep(1)) // in the journal, dropped by Replace

	tests := []struct {
		serial, want uint64
	}{{7, 8}, {0, 9}}
	for _, tt := range tests {
		st := state.New()
		st.Serial = tt.serial
		st.Steps["step.pushed"] = &state.Step{Address: "step.pushed", Name: "pushed", ToolCalls: []state.ToolCall{}}
		if err := w.Replace(st); err != nil {
			t.Fatal(err)
		}
		got := read(t, b, "default")
		if got.Serial != tt.want || got.Lineage != st.Lineage || addresses(got) != "step.pushed" {
			t.Errorf("after Replace of serial %d: serial %d (want %d), lineage %s (want %s), steps %s",
				tt.serial, got.Serial, tt.want, got.Lineage, st.Lineage, addresses(got))
		}
		if w.Pending() != 0 || w.State() != st {
			t.Errorf("after Replace the writer has %d pending rows and another state", w.Pending())
		}
	}
	if got := count(t, conn, schema, "journal", "true"); got != 0 {
		t.Errorf("Replace left %d journal rows", got)
	}
}

func TestJournalOfAnotherLineage(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	w := openLocked(t, b, "default", "apply")
	w.Record(testStep(0))
	w.Commit()
	w.Close()
	_, err := conn.Exec(context.Background(), "INSERT INTO "+schema+`.journal (workspace, lineage, serial, entry)
		VALUES ('default', 'other', 1, '{"version":1,"op":"rm","address":"step.x"}')`)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.OpenLocked(context.Background(), "default", state.LockInfo{}, 0)
	for _, want := range []string{`workspace "default"`, `lineage "other"`, "DELETE FROM", "restore"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("wrong error\ngot:  %v\nwant: containing %q", err, want)
		}
	}
	// The failed open released the lock.
	l, err := b.Lock(context.Background(), "default", state.LockInfo{}, 0)
	if err != nil {
		t.Fatalf("the lock is still held after a failed open: %v", err)
	}
	l.Unlock()
}

func TestUnlockedWriterCannotGoBack(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := openBackend(t, schema)
	stale, _, err := b.OpenUnlocked(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	w := openLocked(t, b, "default", "apply")
	w.Record(testStep(0))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// The unlocked writer still has serial 0: its Commit would write serial
	// 1 over serial 1.
	err = stale.Commit()
	if err == nil || !strings.Contains(err.Error(), "already has a state of serial 1") {
		t.Errorf("got error %v, want one saying a newer state was written", err)
	}
	if st := read(t, b, "default"); addresses(st) != "step.s[0]" || st.Serial != 1 {
		t.Errorf("the failed Commit changed the state: serial %d, steps %s", st.Serial, addresses(st))
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	b := openBackend(t, newSchema(t))
	w := openLocked(t, b, "default", "apply")
	for name, err := range map[string]error{
		"nil step":   w.Record(nil),
		"no address": w.Record(&state.Step{}),
		"remove":     w.Remove(""),
		"nil output": w.SetOutputs(map[string]*state.Output{"o": nil}),
		"replace":    w.Replace(nil),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if w.Pending() != 0 {
		t.Errorf("bad writes left %d pending rows", w.Pending())
	}
	if _, _, err := b.Read(context.Background(), "../x"); err == nil {
		t.Error("Read of an invalid workspace name: no error")
	}
}
