package pgstate

import (
	"context"
	"testing"

	"github.com/promptform/promptform/state"
)

func TestAnswersShared(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	ctx := context.Background()
	b := openBackend(t, schema)
	// Load b's set of hashes before anything is recorded: its own records
	// must be found all the same.
	if rec, err := b.Answers().Lookup(ctx, hashOf(0)); rec != nil || err != nil {
		t.Fatalf("Lookup in an empty table: %v, %v", rec, err)
	}
	w := openLocked(t, b, "a", "apply")
	failed, offline, unhashed := testStep(1), testStep(2), testStep(3)
	failed.Failed = "postcondition failed"
	offline.Offline = true
	unhashed.RequestHash = ""
	for _, s := range []*state.Step{testStep(0), failed, offline, unhashed} {
		if err := w.Record(s); err != nil {
			t.Fatal(err)
		}
	}
	// The second record of a hash replaces the first.
	again := testStep(0)
	again.Address, again.Output = "step.again", "answer again"
	if err := w.Record(again); err != nil {
		t.Fatal(err)
	}
	conn := admin(t)
	if got := count(t, conn, schema, "answers", "true"); got != 1 {
		t.Errorf("%d answers rows, want 1: failed, offline and unhashed records are not answers", got)
	}

	other := openBackend(t, schema) // another checkout
	wb := openLocked(t, other, "b", "apply")
	for name, a := range map[string]state.Answers{"same backend": b.Answers(), "other checkout": other.Answers()} {
		rec, err := a.Lookup(ctx, hashOf(0))
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil || rec.Address != "step.again" || rec.Output != "answer again" || string(rec.Request) != string(again.Request) {
			t.Errorf("%s: wrong answer %+v", name, rec)
		}
		for _, i := range []int{1, 2, 3, 99} {
			if rec, err := a.Lookup(ctx, hashOf(i)); rec != nil || err != nil {
				t.Errorf("%s: Lookup of hash %d: %+v, %v; want nil", name, i, rec, err)
			}
		}
	}
	// Workspace b records what workspace a's checkout then finds.
	if err := wb.Record(testStep(5)); err != nil {
		t.Fatal(err)
	}
	if rec, err := other.Answers().Lookup(ctx, hashOf(5)); rec == nil || err != nil {
		t.Errorf("Lookup of a record of workspace b: %v, %v", rec, err)
	}
}

// TestAnswerMissesAreFree checks that once the hashes are loaded, a miss
// asks nothing of the database: with a cancelled context, misses still
// answer, and a hit fails.
func TestAnswerMissesAreFree(t *testing.T) {
	t.Parallel()
	b := openBackend(t, newSchema(t))
	w := openLocked(t, b, "default", "apply")
	if err := w.Record(testStep(0)); err != nil {
		t.Fatal(err)
	}
	a := b.Answers()
	if rec, err := a.Lookup(context.Background(), hashOf(0)); rec == nil || err != nil {
		t.Fatalf("Lookup of a recorded hash: %v, %v", rec, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 1; i <= 10_000; i++ {
		if rec, err := a.Lookup(ctx, hashOf(i)); rec != nil || err != nil {
			t.Fatalf("a miss: %v, %v", rec, err)
		}
	}
	if rec, err := a.Lookup(ctx, "not a sha256 hash"); rec != nil || err != nil {
		t.Fatalf("a miss of another form: %v, %v", rec, err)
	}
	if _, err := a.Lookup(ctx, hashOf(0)); err == nil {
		t.Error("a hit with a cancelled context did not query the database")
	}
}
