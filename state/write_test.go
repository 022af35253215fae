package state

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// failAfter passes n bytes to w, then fails as a full disk does.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) <= f.n {
		f.n -= len(p)
		return f.w.Write(p)
	}
	k, _ := f.w.Write(p[:f.n])
	f.n = 0
	return k, syscall.ENOSPC
}

// chunks records the size of the largest write to w.
type chunks struct {
	w       io.Writer
	largest int
	total   int
}

func (c *chunks) Write(p []byte) (int, error) {
	c.largest = max(c.largest, len(p))
	c.total += len(p)
	return c.w.Write(p)
}

// readAll reads a file and fails the test if it cannot.
func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirNames returns the sorted names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFailedCommitKeepsJournal(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	record(t, s, 0, 3)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	record(t, s, 3, 6)
	oldState, journal := readAll(t, path), readAll(t, path+JournalSuffix)
	s.seam = &writeSeam{wrap: func(w io.Writer) io.Writer { return &failAfter{w: w, n: 1000} }}
	err := s.Commit()
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want a full disk error naming %s", err, path)
	}
	if !bytes.Equal(readAll(t, path), oldState) || !bytes.Equal(readAll(t, path+JournalSuffix), journal) {
		t.Error("a failed Commit changed state.json or its journal")
	}
	if got, want := dirNames(t, filepath.Dir(path)), []string{".gitignore", File, File + JournalSuffix}; !slices.Equal(got, want) {
		t.Errorf("a failed Commit left %v, want %v", got, want)
	}
	if s.Pending() != 3 || s.State().Serial != 1 {
		t.Errorf("after a failed Commit: %d pending, serial %d; want 3 and 1", s.Pending(), s.State().Serial)
	}
	s.seam = nil
	record(t, s, 6, 7) // the store goes on recording
	s.Close()

	s, _ = openStore(t, path)
	defer s.Close()
	want := "step.s[0] step.s[1] step.s[2] step.s[3] step.s[4] step.s[5] step.s[6]"
	if got := addresses(s); got != want || s.Pending() != 4 {
		t.Errorf("wrong recovery\ngot:  %s, %d pending\nwant: %s, 4 pending", got, s.Pending(), want)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(st.Addresses(), " "); got != want || st.Serial != 2 {
		t.Errorf("wrong state after the retried Commit\ngot:  %s serial %d\nwant: %s serial 2", got, st.Serial, want)
	}
}

// TestCommitDiskPeak checks what is on disk at the fullest moment of a
// Commit, when the new state is complete and not yet renamed: the old state,
// the journal and the new state, and no other copy.
func TestCommitDiskPeak(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	dir := filepath.Dir(path)
	s, _ := openStore(t, path)
	defer s.Close()
	record(t, s, 0, 3)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	record(t, s, 3, 6)
	var atPeak []string
	s.seam = &writeSeam{synced: func(tmp string) {
		atPeak = dirNames(t, dir)
		if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), "."+File+".tmp-") {
			t.Errorf("temporary file %s is not a .%s.tmp-* file beside the state", tmp, File)
		}
	}}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(atPeak) != 4 || !slices.Equal(slices.Delete(slices.Clone(atPeak), 1, 2), []string{".gitignore", File, File + JournalSuffix}) {
		t.Errorf("at the peak of a Commit the directory holds %v; want the .gitignore, the old state, the journal and the new state", atPeak)
	}
	if got, want := dirNames(t, dir), []string{".gitignore", File}; !slices.Equal(got, want) {
		t.Errorf("after Commit the directory holds %v, want %v", got, want)
	}
}

// TestCommitStreamsTheState checks that the state is written as it is
// encoded, a step at a time, never whole from one buffer.
func TestCommitStreamsTheState(t *testing.T) {
	t.Parallel()
	path := Path(t.TempDir())
	s, _ := openStore(t, path)
	defer s.Close()
	const steps, size = 40, 64 << 10
	for i := range steps {
		if err := s.Record(testStep(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	c := &chunks{}
	s.seam = &writeSeam{wrap: func(w io.Writer) io.Writer { c.w = w; return c }}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if c.total < steps*size || c.largest > 4*size {
		t.Errorf("wrote %d bytes in writes of up to %d; want at least %d bytes, in writes of at most %d", c.total, c.largest, steps*size, 4*size)
	}
	if st, err := Load(path); err != nil || len(st.Steps) != steps {
		t.Errorf("the streamed state does not load back: %v", err)
	}
}

// TestEncodeKnowsEveryField guards encode's header: a field added to State
// must be added to stateHeader too.
func TestEncodeKnowsEveryField(t *testing.T) {
	t.Parallel()
	st, h := reflect.TypeFor[State](), reflect.TypeFor[stateHeader]()
	if st.NumField() != h.NumField()+2 {
		t.Fatalf("State has %d fields, stateHeader %d: keep stateHeader in step with State", st.NumField(), h.NumField())
	}
	for i := range h.NumField() {
		if st.Field(i).Name != h.Field(i).Name || st.Field(i).Tag != h.Field(i).Tag {
			t.Errorf("field %d: State has %s %q, stateHeader %s %q", i, st.Field(i).Name, st.Field(i).Tag, h.Field(i).Name, h.Field(i).Tag)
		}
	}
}
