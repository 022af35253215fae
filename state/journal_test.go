package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// openStore opens the store at path and fails the test on an error.
func openStore(t testing.TB, path string) (*Store, []Warning) {
	t.Helper()
	s, warns, err := open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, warns
}

// record records steps 0..n-1 and fails the test on an error.
func record(t testing.TB, s *Store, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Record(testStep(i, 16)); err != nil {
			t.Fatal(err)
		}
	}
}

func addresses(s *Store) string { return strings.Join(s.State().Addresses(), " ") }

func TestJournalRoundTrip(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	record(t, s, 0, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Record wrote %s (stat: %v); only Commit should", path, err)
	}

	s, warns := openStore(t, path)
	defer s.Close()
	want := "step.s[0] step.s[1] step.s[2]"
	if got := addresses(s); got != want || len(warns) != 0 || s.Pending() != 3 {
		t.Errorf("wrong replay\ngot:  %s, %d pending, warnings %v\nwant: %s, 3 pending, none", got, s.Pending(), warns, want)
	}
	lineage := s.State().Lineage
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + JournalSuffix); !os.IsNotExist(err) {
		t.Errorf("journal still there after Commit (stat: %v)", err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(st.Addresses(), " "); got != want || st.Serial != 1 || st.Lineage != lineage {
		t.Errorf("wrong committed state\ngot:  %s serial %d lineage %s\nwant: %s serial 1 lineage %s", got, st.Serial, st.Lineage, want, lineage)
	}
	if got := st.Steps["step.s[1]"]; got == nil || got.Output != testStep(1, 16).Output || got.Usage.TotalTokens != 8 {
		t.Errorf("step.s[1] did not survive: %+v", got)
	}
}

func TestJournalOps(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	record(t, s, 0, 2)
	if err := s.Remove("step.s[0]"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutputs(map[string]*Output{"x": {Value: json.RawMessage(`"v"`), Type: json.RawMessage(`"string"`)}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, _ = openStore(t, path)
	if got, want := addresses(s), "step.s[1]"; got != want {
		t.Errorf("wrong steps after rm\ngot:  %s\nwant: %s", got, want)
	}
	if o := s.State().Outputs["x"]; o == nil || string(o.Value) != `"v"` || len(s.State().Outputs) != 1 {
		t.Errorf("wrong outputs\ngot:  %v\nwant: x = \"v\"", s.State().Outputs)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutputs(nil); err != nil {
		t.Fatal(err)
	}
	record(t, s, 5, 6)
	s.Close()

	s, _ = openStore(t, path)
	defer s.Close()
	st := s.State()
	if got, want := addresses(s), "step.s[1] step.s[5]"; got != want || len(st.Outputs) != 0 || st.Serial != 1 {
		t.Errorf("wrong state after commit and more ops\ngot:  %s, outputs %v, serial %d\nwant: %s, no outputs, serial 1", got, st.Outputs, st.Serial, want)
	}
}

func TestJournalDamage(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		damage    func(j []byte) []byte
		wantSteps string // when it opens
		wantWarn  string
		wantErr   []string // when it does not
	}{
		"intact": {
			damage:    func(j []byte) []byte { return j },
			wantSteps: "step.s[0] step.s[1] step.s[2]",
		},
		"torn last line": {
			damage:    func(j []byte) []byte { return j[:len(j)-20] },
			wantSteps: "step.s[0] step.s[1]",
			wantWarn:  "line 3",
		},
		"last line without its newline": {
			damage:    func(j []byte) []byte { return j[:len(j)-1] },
			wantSteps: "step.s[0] step.s[1]",
			wantWarn:  "no newline",
		},
		"zeros after a power loss": {
			damage:    func(j []byte) []byte { return append(j, "\x00\x00\x00\n"...) },
			wantSteps: "step.s[0] step.s[1] step.s[2]",
			wantWarn:  "line 4",
		},
		"corrupt middle line": {
			damage:  func(j []byte) []byte { return bytes.Replace(j, []byte(`"op":"step"`), []byte(`"op":"st`), 2) },
			wantErr: []string{"line 1 is not a valid journal entry", "move it away"},
		},
		"blank middle line": {
			damage:  func(j []byte) []byte { return append([]byte("\n"), j...) },
			wantErr: []string{"line 1 is not a valid journal entry"},
		},
		"unknown op": {
			damage:  func(j []byte) []byte { return bytes.Replace(j, []byte(`"op":"step"`), []byte(`"op":"frob"`), 1) },
			wantErr: []string{`unknown op "frob"`},
		},
		"another lineage": {
			damage:  func(j []byte) []byte { return regexpLineage(j, "00000000-0000-0000-0000-000000000000") },
			wantErr: []string{"journal of another state", "00000000-0000-0000-0000-000000000000"},
		},
		"null step on the last line": {
			damage:  func(j []byte) []byte { return editLine(j, 2, func(e map[string]any) { e["step"] = nil }) },
			wantErr: []string{"line 3 is not a valid journal entry", "null step"},
		},
		"version zero": {
			damage:  func(j []byte) []byte { return editLine(j, 1, func(e map[string]any) { e["version"] = 0 }) },
			wantErr: []string{"line 2 is not a valid journal entry", "format version 0"},
		},
		"null version": {
			damage:  func(j []byte) []byte { return editLine(j, 2, func(e map[string]any) { e["version"] = nil }) },
			wantErr: []string{"line 3 is not a valid journal entry", "no format version"},
		},
		"newer version": {
			damage:  func(j []byte) []byte { return editLine(j, 0, func(e map[string]any) { e["version"] = 99 }) },
			wantErr: []string{"line 1", "format version 99", "upgrade promptform"},
		},
		"entries of before versions were recorded": {
			damage: func(j []byte) []byte {
				for n := range 3 {
					j = editLine(j, n, func(e map[string]any) { delete(e, "version") })
				}
				return j
			},
			wantSteps: "step.s[0] step.s[1] step.s[2]",
		},
		"newer than the state file": {
			damage:  func(j []byte) []byte { return bytes.ReplaceAll(j, []byte(`"serial":1`), []byte(`"serial":7`)) },
			wantErr: []string{"extends serial 7", "older serial 1"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := Path(t.TempDir())
			s, _ := openStore(t, path)
			if err := s.Commit(); err != nil { // so that state.json exists, at serial 1
				t.Fatal(err)
			}
			record(t, s, 0, 3)
			s.Close()
			j, err := os.ReadFile(path + JournalSuffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+JournalSuffix, tc.damage(j), 0o644); err != nil {
				t.Fatal(err)
			}
			s, warns, err := open(path)
			checkOpen(t, s, warns, err, path+JournalSuffix, tc.wantSteps, tc.wantWarn, tc.wantErr)
		})
	}
}

// checkOpen checks the result of Open against a table row.
func checkOpen(t *testing.T, s *Store, warns []Warning, err error, jpath, wantSteps, wantWarn string, wantErr []string) {
	t.Helper()
	if len(wantErr) > 0 {
		if err == nil {
			t.Fatalf("no error; got steps %s", addresses(s))
		}
		for _, w := range append(wantErr, jpath) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("wrong error\ngot:  %s\nwant: containing %q", err, w)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := addresses(s); got != wantSteps {
		t.Errorf("wrong steps\ngot:  %s\nwant: %s", got, wantSteps)
	}
	switch {
	case wantWarn == "" && len(warns) > 0:
		t.Errorf("unexpected warnings: %v", warns)
	case wantWarn != "" && (len(warns) != 1 || !strings.Contains(warns[0].Detail, wantWarn) || !strings.Contains(warns[0].Detail, jpath)):
		t.Errorf("wrong warnings\ngot:  %v\nwant: one containing %q and the journal's path", warns, wantWarn)
	}
}

// editLine changes line n (from 0) of a journal.
func editLine(j []byte, n int, edit func(e map[string]any)) []byte {
	lines := bytes.SplitAfter(j, []byte("\n"))
	var e map[string]any
	if err := json.Unmarshal(lines[n], &e); err != nil {
		panic(err)
	}
	edit(e)
	b, _ := json.Marshal(e)
	lines[n] = append(b, '\n')
	return bytes.Join(lines, nil)
}

// regexpLineage replaces every lineage in a journal.
func regexpLineage(j []byte, lineage string) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(j, []byte("\n")) {
		var e map[string]any
		if json.Unmarshal(line, &e) != nil {
			out = append(out, line...)
			continue
		}
		e["lineage"] = lineage
		b, _ := json.Marshal(e)
		out = append(append(out, b...), '\n')
	}
	return out
}

func TestJournalTornTailIsCutBeforeAppending(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	record(t, s, 0, 2)
	s.Close()
	f, err := os.OpenFile(path+JournalSuffix, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"op":"step","lin`)
	f.Close()

	s, warns := openStore(t, path)
	if len(warns) != 1 {
		t.Errorf("got warnings %v, want one", warns)
	}
	record(t, s, 2, 3)
	s.Close()
	s, warns = openStore(t, path)
	defer s.Close()
	if got, want := addresses(s), "step.s[0] step.s[1] step.s[2]"; got != want || len(warns) != 0 {
		t.Errorf("wrong replay after appending past a torn line\ngot:  %s, warnings %v\nwant: %s, none", got, warns, want)
	}
}

func TestJournalOfInterruptedCommit(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	record(t, s, 0, 2)
	j, _ := os.ReadFile(path + JournalSuffix)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// As if Commit had been killed after writing state.json.
	if err := os.WriteFile(path+JournalSuffix, j, 0o644); err != nil {
		t.Fatal(err)
	}
	s, warns := openStore(t, path)
	if got, want := addresses(s), "step.s[0] step.s[1]"; got != want || s.Pending() != 0 || len(warns) != 0 {
		t.Errorf("wrong replay\ngot:  %s, %d pending, warnings %v\nwant: %s, 0 pending, none", got, s.Pending(), warns, want)
	}
	record(t, s, 2, 3)
	s.Close()
	s, _ = openStore(t, path)
	defer s.Close()
	if got, want := addresses(s), "step.s[0] step.s[1] step.s[2]"; got != want || s.Pending() != 1 {
		t.Errorf("wrong replay\ngot:  %s, %d pending\nwant: %s, 1 pending", got, s.Pending(), want)
	}
}

func TestOpenBadStateFile(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	if err := WriteFileAtomic(path, []byte(`{"version":1,"lin`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := open(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("wrong error\ngot:  %v\nwant: naming %s and what to do", err, path)
	}
}

func TestStoreClosed(t *testing.T) {
	t.Parallel()
	s, _ := openStore(t, Path(t.TempDir()))
	s.Close()
	for name, err := range map[string]error{
		"Record":     s.Record(testStep(0, 1)),
		"Remove":     s.Remove("step.a"),
		"SetOutputs": s.SetOutputs(nil),
		"Commit":     s.Commit(),
	} {
		if err != ErrClosed {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
}

func TestStoreConcurrentRecords(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() { record(t, s, g*25, g*25+25) })
	}
	wg.Wait()
	s.Close()
	s, _ = openStore(t, path)
	defer s.Close()
	if got := len(s.State().Steps); got != 200 {
		t.Errorf("got %d steps after concurrent records, want 200", got)
	}
}

func TestJournalSurvivesKill(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	cmd := helperCmd(t, "record", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForLines(t, path+JournalSuffix, 50)
	cmd.Process.Kill()
	cmd.Wait()

	j, err := os.ReadFile(path + JournalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	whole := bytes.Count(j, []byte("\n"))
	s, warns := openStore(t, path)
	defer s.Close()
	got := s.State().Addresses()
	sort.Slice(got, func(a, b int) bool { return len(got[a]) < len(got[b]) || len(got[a]) == len(got[b]) && got[a] < got[b] })
	if len(got) != whole || len(warns) > 1 || (len(warns) == 1) != (len(j) > 0 && j[len(j)-1] != '\n') {
		t.Errorf("got %d steps and warnings %v from a journal of %d whole lines (ends in newline: %t)",
			len(got), warns, whole, len(j) > 0 && j[len(j)-1] == '\n')
	}
	for i, a := range got {
		if want := fmt.Sprintf("step.s[%d]", i); a != want {
			t.Fatalf("recovered steps have a gap\ngot:  %s at %d\nwant: %s", a, i, want)
		}
	}
}

// waitForLines waits until the file at path has at least n lines.
func waitForLines(t *testing.T, path string, n int) {
	t.Helper()
	for range 2000 {
		if b, _ := os.ReadFile(path); bytes.Count(b, []byte("\n")) >= n {
			return
		}
		sleepPoll()
	}
	t.Fatalf("%s never reached %d lines", path, n)
}

func BenchmarkRecord(b *testing.B) {
	for _, existing := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), File)
			s, _ := openStore(b, path)
			for i := range existing {
				s.State().Steps[testStep(i, 1024).Address] = testStep(i, 1024)
			}
			if err := s.Commit(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := s.Record(testStep(existing+i, 1024)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			s.Close()
		})
	}
}
