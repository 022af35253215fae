package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptform/promptform/state"
)

// moveFixture is a state with a step with keys and samples (a), a step
// without instances with a sample (one), a counted step (n) and a step
// whose key the state cannot read (odd).
func moveFixture() *state.State {
	st := state.New()
	add := func(addr, name, key string, sample int) {
		st.Steps[addr] = &state.Step{Address: addr, Name: name, Key: json.RawMessage(key), Sample: sample, Output: "answer of " + addr}
	}
	add(`step.a["x"]`, "a", `"x"`, 0)
	add(`step.a["x"]#1`, "a", `"x"`, 1)
	add(`step.a["y"]`, "a", `"y"`, 0)
	add("step.one", "one", "", 0)
	add("step.one#1", "one", "", 1)
	add("step.n[0]", "n", "0", 0)
	add("step.odd[true]", "odd", "true", 0)
	return st
}

func TestStateMoves(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		from, to string
		want     []string // "FROM -> TO"
		wantErr  string
	}{
		"whole step keeps keys and samples": {
			from: "step.a", to: "step.b",
			want: []string{`step.a["x"] -> step.b["x"]`, `step.a["x"]#1 -> step.b["x"]#1`, `step.a["y"] -> step.b["y"]`},
		},
		"instance to instance of another step": {
			from: `step.a["x"]`, to: `step.b["z"]`,
			want: []string{`step.a["x"] -> step.b["z"]`, `step.a["x"]#1 -> step.b["z"]#1`},
		},
		"instance to another key": {
			from: `step.a["y"]`, to: `step.a["w"]`,
			want: []string{`step.a["y"] -> step.a["w"]`},
		},
		"step without instances to an instance": {
			from: "step.one", to: "step.one[0]",
			want: []string{"step.one -> step.one[0]", "step.one#1 -> step.one[0]#1"},
		},
		"instance to a step without instances": {
			from: "step.n[0]", to: "step.single",
			want: []string{"step.n[0] -> step.single"},
		},
		"instance to its own step without key": {
			from: `step.a["y"]`, to: "step.a",
			want: []string{`step.a["y"] -> step.a`},
		},
		"nothing recorded": {
			from: "step.nope", to: "step.b", wantErr: "The state records no step instance at step.nope",
		},
		"key not recorded": {
			from: `step.a["q"]`, to: "step.b", wantErr: `The state records no step instance at step.a["q"]`,
		},
		"instance taken": {
			from: `step.a["x"]`, to: `step.a["y"]`, wantErr: `The state records step.a["y"] already`,
		},
		"sample taken": {
			from: "step.one", to: `step.a["x"]`, wantErr: `The state records step.a["x"] already`,
		},
		"whole step into a recorded step": {
			from: "step.n", to: "step.a", wantErr: `The state records step.a["x"], step.a["y"] already`,
		},
		"keyed step to one instance": {
			from: "step.a", to: "step.a[0]", wantErr: `step.a has instances with keys`,
		},
		"unreadable key": {
			from: "step.odd", to: "step.even", wantErr: "step.odd cannot move to step.even: step.odd[true]",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := moveFixture()
			from, to, diags := parseMoveAddrs(tt.from, tt.to)
			if diags.HasErrors() {
				t.Fatalf("unexpected address error: %s", diags.Error())
			}
			moves, diags := stateMoves(st, from, to)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("wrong error\ngot:  %v\nwant: %s", diags, tt.wantErr)
				}
				if moves != nil {
					t.Errorf("moves with an error: %v", moves)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("unexpected error: %s", diags.Error())
			}
			var got []string
			for _, r := range moves {
				got = append(got, r.From+" -> "+r.Rec.Address)
				if want := "answer of " + r.From; r.Rec.Output != want {
					t.Errorf("%s carries the wrong record\ngot:  %s\nwant: %s", r.Rec.Address, r.Rec.Output, want)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("wrong moves\ngot:  %q\nwant: %q", got, tt.want)
			}
			if len(st.Steps) != len(moveFixture().Steps) || st.Steps[tt.want[0][:strings.Index(tt.want[0], " ")]] == nil {
				t.Errorf("stateMoves changed the state")
			}
		})
	}
}

func TestParseMoveAddrs(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		from, to string
		wantErr  string
	}{
		"sample from":    {from: `step.a["x"]#1`, to: `step.b["x"]`, wantErr: `step.a["x"]#1 names one sample`},
		"sample to":      {from: `step.a["x"]`, to: `step.b["x"]#0`, wantErr: `step.b["x"]#0 names one sample`},
		"same address":   {from: `step.a[ "x" ]`, to: `step.a["x"]`, wantErr: "are the same address"},
		"not a step":     {from: "step.a", to: "var.x", wantErr: `"var.x" is not a step address`},
		"in a module":    {from: "module.m.step.a", to: "step.a"},
		"a module":       {from: "module.m", to: `module.n["k"]`},
		"module to step": {from: "module.m", to: "step.a", wantErr: "module.m and step.a are not alike"},
		"two instances":  {from: "step.a[0]", to: `step.a["0"]`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, _, diags := parseMoveAddrs(tt.from, tt.to)
			switch {
			case tt.wantErr == "" && diags.HasErrors():
				t.Fatalf("unexpected error: %s", diags.Error())
			case tt.wantErr != "" && !strings.Contains(diags.Error(), tt.wantErr):
				t.Fatalf("wrong error\ngot:  %v\nwant: %s", diags, tt.wantErr)
			}
		})
	}
}

// TestStateMvLock checks that state mv waits for no one: while another
// command holds the lock it fails at once and changes nothing, and
// -dry-run, which takes no lock, still reports.
func TestStateMvLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	store, _, err := state.OpenLocked(ctx, dir, state.LockInfo{Operation: "test"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Record(&state.Step{Address: "step.a", Name: "a", Output: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := store.Commit(); err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		s := Streams{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Environ: func() []string { return nil }}
		code := Run(ctx, ctx, append([]string{"-chdir=" + dir, "state", "mv"}, args...), s)
		return code, stdout.String(), stderr.String()
	}
	code, _, stderr := run("step.a", "step.b")
	if code != 1 || !strings.Contains(stderr, "State locked") {
		t.Errorf("state mv under another's lock\ngot:  exit %d, %s\nwant: exit 1, State locked", code, stderr)
	}
	code, stdout, _ := run("-dry-run", "step.a", "step.b")
	if code != 0 || stdout != "Would move step.a to step.b\nWould have moved 1 record.\n" {
		t.Errorf("state mv -dry-run under another's lock\ngot:  exit %d, %q", code, stdout)
	}

	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run("step.a", "step.b")
	if code != 0 || !strings.Contains(stdout, "Successfully moved 1 record.") {
		t.Fatalf("state mv\ngot:  exit %d, %s%s", code, stdout, stderr)
	}
	st, _, err := state.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Steps["step.a"] != nil || st.Steps["step.b"] == nil || st.Steps["step.b"].Output != "kept" || st.Steps["step.b"].Name != "b" {
		t.Errorf("wrong state after state mv\ngot:  %v\nwant: step.b only, with step.a's answer", st.Addresses())
	}
}
