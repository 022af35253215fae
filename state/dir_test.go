package state

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestStateDirGetsGitignore(t *testing.T) {
	t.Parallel()
	for name, use := range map[string]func(t *testing.T, dir string){
		"Lock": func(t *testing.T, dir string) { lock(t, dir).Unlock() },
		"Save": func(t *testing.T, dir string) {
			if err := New().Save(Path(dir)); err != nil {
				t.Fatal(err)
			}
		},
		"Record": func(t *testing.T, dir string) {
			s, _ := openStore(t, Path(dir))
			defer s.Close()
			record(t, s, 0, 1)
		},
		"CheckWritable": func(t *testing.T, dir string) {
			s, _ := openStore(t, Path(dir))
			defer s.Close()
			if err := s.CheckWritable(); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			use(t, dir)
			b, err := os.ReadFile(filepath.Join(dir, Dir, ".gitignore"))
			if err != nil || !strings.Contains(string(b), "!"+File) {
				t.Errorf("no .gitignore that keeps %s: %q (%v)", File, b, err)
			}
		})
	}
}

func TestEnsureDirKeepsEditedGitignore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), Dir)
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	edited := []byte("# mine\n")
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(b) != string(edited) {
		t.Errorf("EnsureDir overwrote an edited .gitignore: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("EnsureDir left more than the .gitignore: %v", entries)
	}
}

// TestGitignoreKeepsOnlyTheState asks git which files of the state
// directory it would commit.
func TestGitignoreKeepsOnlyTheState(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := t.TempDir()
	dir := filepath.Join(root, Dir)
	if err := EnsureDir(dir); err != nil {
		t.Fatal(err)
	}
	names := []string{File, File + JournalSuffix, LockFile, "catalog-0123456789ab.json",
		".state.json.tmp-123", ".catalog-0123456789ab.json.tmp-9", ".writable-5"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "-C", root, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	out, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=all").CombinedOutput()
	if err != nil {
		t.Fatalf("git status: %v: %s", err, out)
	}
	got := strings.Fields(strings.ReplaceAll(string(out), "??", ""))
	slices.Sort(got)
	want := []string{Dir + "/.gitignore", Dir + "/" + File}
	if !slices.Equal(got, want) {
		t.Errorf("git would commit %v, want %v", got, want)
	}
}

func TestLockRemovesStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sdir := filepath.Join(dir, Dir)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{".state.json.tmp-123", ".writable-456"}
	kept := []string{"notes.txt", ".catalog-0123.json.tmp-7", "state.json.tmp-1"}
	for _, n := range append(stale, kept...) {
		if err := os.WriteFile(filepath.Join(sdir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(sdir, n)); !os.IsNotExist(err) {
			t.Errorf("stale %s is still there (stat: %v)", n, err)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(sdir, n)); err != nil {
			t.Errorf("%s, not ours, was removed: %v", n, err)
		}
	}
}
