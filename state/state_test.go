package state

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadMissingGivesEmptyState(t *testing.T) {
	t.Parallel()
	s, err := Load(filepath.Join(t.TempDir(), Dir, File))
	if err != nil {
		t.Fatal(err)
	}
	if s.Lineage == "" || s.Serial != 0 || len(s.Steps) != 0 || s.Version != Version {
		t.Errorf("wrong empty state: %+v", s)
	}
	if other := New(); other.Lineage == s.Lineage {
		t.Errorf("two new states share lineage %q", s.Lineage)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s := New()
	s.Steps["step.a"] = &Step{
		Address: "step.a", Name: "a", RequestHash: "sha256:00",
		Request: json.RawMessage(`{"model":"m"}`), Output: "hello", ToolCalls: []ToolCall{},
		Usage: Usage{InputTokens: 1, OutputTokens: 2, TotalTokens: 3},
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 2 || got.Lineage != s.Lineage {
		t.Errorf("got serial %d lineage %q; want 2, %q", got.Serial, got.Lineage, s.Lineage)
	}
	var req bytes.Buffer
	if a := got.Steps["step.a"]; a == nil || json.Compact(&req, a.Request) != nil || req.String() != `{"model":"m"}` ||
		a.Output != "hello" || a.Usage.TotalTokens != 3 {
		t.Errorf("step.a did not survive the round trip: %+v", a)
	}
	if got, want := dirNames(t, filepath.Dir(path)), []string{GitignoreFile, File}; !slices.Equal(got, want) {
		t.Errorf("the state directory holds %v, want %v", got, want)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body string
		want string
	}{
		"truncated":    {`{"version": 1, "lineage": "x", "ser`, "not valid state JSON"},
		"not json":     {"hello", "not valid state JSON"},
		"newer format": {`{"version": 99, "lineage": "x", "serial": 1}`, "format version 99"},
		"no lineage":   {`{"version": 1, "serial": 1, "steps": {}}`, "has no lineage"},
		"null steps":   {`{"version": 1, "lineage": "x", "serial": 1, "steps": null}`, `no "steps" object`},
		"no steps":     {`{"version": 1, "lineage": "x", "serial": 1}`, `no "steps" object`},
		"no version":   {`{"lineage": "x", "serial": 1}`, `no format version`},
		"version zero": {`{"version": 0, "lineage": "x", "serial": 1}`, `no format version`},
		"negative":     {`{"version": -1, "lineage": "x", "serial": 1}`, `format version -1`},
		"null step": {`{"version": 1, "lineage": "x", "serial": 1, "steps": {"step.a": null}}`,
			`"step.a" in "steps" is null`},
		"null output": {`{"version": 1, "lineage": "x", "serial": 1, "steps": {}, "outputs": {"o": null}}`,
			`"o" in "outputs" is null`},
		"address not its key": {`{"version": 1, "lineage": "x", "serial": 1, "steps": {"step.a": {"address": "step.b"}}}`,
			`"step.a" in "steps" has the address "step.b"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), File)
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(path)
			if err == nil {
				t.Fatalf("no error; got state %+v", s)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("wrong error\ngot:  %s\nwant: containing %q and the path", err, tc.want)
			}
			if !strings.Contains(err.Error(), "version control") && !strings.Contains(err.Error(), "upgrade") {
				t.Errorf("error does not say what to do: %s", err)
			}
		})
	}
}

func TestSaveFailureKeepsSerial(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := New()
	if err := s.Save(filepath.Join(blocker, "state.json")); err == nil {
		t.Fatal("saving under a regular file succeeded")
	}
	if s.Serial != 0 {
		t.Errorf("serial moved to %d on a failed save", s.Serial)
	}
}
