package pgstate

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := admin(t)
	b := openBackend(t, schema)
	ctx := context.Background()
	list := func(want ...string) {
		t.Helper()
		got, err := b.Workspaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("wrong workspaces\ngot:  %v\nwant: %v", got, want)
		}
	}
	exists := func(ws string, want bool) {
		t.Helper()
		if got, err := b.Exists(ctx, ws); got != want || err != nil {
			t.Errorf("Exists(%q) = %t, %v; want %t", ws, got, err, want)
		}
	}
	list("default")
	exists("default", false)
	if err := b.NewWorkspace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	list("default", "dev")
	exists("dev", false) // created, but no state written yet

	for ws, want := range map[string]string{"dev": "already exists", "default": "already exists", "../x": "not a valid workspace name"} {
		if err := b.NewWorkspace(ctx, ws); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewWorkspace(%q): got %v, want an error containing %q", ws, err, want)
		}
	}

	// A first write creates a workspace too.
	w := openLocked(t, b, "staging", "apply")
	list("default", "dev") // opening writes nothing
	if err := w.Record(testStep(0)); err != nil {
		t.Fatal(err)
	}
	list("default", "dev", "staging")
	exists("staging", true) // a journal row
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	exists("staging", true) // a states row

	// Delete takes the lock first.
	if err := b.DeleteWorkspace(ctx, "staging"); err == nil {
		t.Error("DeleteWorkspace of a locked workspace: no error")
	} else {
		wantLocked(t, err, false, `for "apply"`)
	}
	w.Close()
	if err := b.DeleteWorkspace(ctx, "staging"); err != nil {
		t.Fatal(err)
	}
	list("default", "dev")
	exists("staging", false)
	for _, table := range []string{"states", "journal", "locks"} {
		if got := count(t, conn, schema, table, "workspace = 'staging'"); got != 0 {
			t.Errorf("DeleteWorkspace left %d %s rows", got, table)
		}
	}
	if st := read(t, b, "staging"); len(st.Steps) != 0 {
		t.Errorf("a deleted workspace reads as %v", st.Addresses())
	}
	for ws, want := range map[string]string{"default": "cannot be deleted", "staging": "does not exist", "nope": "does not exist"} {
		if err := b.DeleteWorkspace(ctx, ws); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DeleteWorkspace(%q): got %v, want an error containing %q", ws, err, want)
		}
	}
	if err := b.DeleteWorkspace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	list("default")
	// The answers stay: they belong to every workspace.
	if rec, err := b.Answers().Lookup(ctx, hashOf(0)); rec == nil || err != nil {
		t.Errorf("the deleted workspace's answer is gone: %v, %v", rec, err)
	}
	if _, err := b.Exists(ctx, "a/b"); err == nil {
		t.Error("Exists of an invalid name: no error")
	}
}
