package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// WorkspacesDir names the directory, in Dir, that holds the local states
// of the workspaces other than the default one: .promptform/workspaces/NAME/.
const WorkspacesDir = "workspaces"

// Local is the backend of files in the configuration directory: the
// default workspace's state is .promptform/state.json, with its journal and
// lock beside it, as before workspaces existed; another workspace's is
// .promptform/workspaces/NAME/state.json. It shares no answers.
type Local struct {
	// ConfigDir is the configuration directory.
	ConfigDir string
}

var _ Backend = (*Local)(nil)

// NewLocal returns the local backend of configuration directory dir.
func NewLocal(dir string) *Local { return &Local{ConfigDir: dir} }

// stateDir is the directory of a workspace's state, journal and lock.
func (l *Local) stateDir(ws string) string {
	if ws == "" || ws == DefaultWorkspace {
		return filepath.Join(l.ConfigDir, Dir)
	}
	return filepath.Join(l.ConfigDir, Dir, WorkspacesDir, ws)
}

// Describe names the local state directory.
func (l *Local) Describe() string {
	return "the local directory " + filepath.Join(l.ConfigDir, Dir)
}

// Where is the path of the workspace's state file.
func (l *Local) Where(ws string) string { return filepath.Join(l.stateDir(ws), File) }

// Workspaces lists the default workspace and every directory in
// .promptform/workspaces.
func (l *Local) Workspaces(ctx context.Context) ([]string, error) {
	out := []string{DefaultWorkspace}
	entries, err := os.ReadDir(filepath.Join(l.ConfigDir, Dir, WorkspacesDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("state: list workspaces: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && CheckWorkspaceName(e.Name()) == nil && e.Name() != DefaultWorkspace {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// NewWorkspace creates the workspace's directory.
func (l *Local) NewWorkspace(ctx context.Context, ws string) error {
	if err := CheckWorkspaceName(ws); err != nil {
		return err
	}
	if ws == DefaultWorkspace {
		return fmt.Errorf("workspace %q already exists", ws)
	}
	dir := l.stateDir(ws)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("workspace %q already exists", ws)
	}
	if err := EnsureDir(filepath.Join(l.ConfigDir, Dir)); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state: create workspace %q: %w", ws, err)
	}
	return nil
}

// DeleteWorkspace removes the workspace's directory, under its lock.
func (l *Local) DeleteWorkspace(ctx context.Context, ws string) error {
	if err := CheckWorkspaceName(ws); err != nil {
		return err
	}
	if ws == DefaultWorkspace {
		return errors.New("the default workspace cannot be deleted")
	}
	dir := l.stateDir(ws)
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("workspace %q does not exist", ws)
	}
	lk, err := lockIn(ctx, dir, LockInfo{Operation: "workspace delete"}, 0)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("state: delete workspace %q: %w", ws, err)
	}
	return nil
}

// Exists reports whether the workspace's state file exists, or the
// journal of a first run.
func (l *Local) Exists(ctx context.Context, ws string) (bool, error) {
	for _, path := range []string{l.Where(ws), l.Where(ws) + JournalSuffix} {
		_, err := os.Stat(path)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, fs.ErrNotExist):
			return false, err
		}
	}
	return false, nil
}

// Read reads the workspace's state.
func (l *Local) Read(ctx context.Context, ws string) (*State, []Warning, error) {
	s, warns, err := open(l.Where(ws))
	if err != nil {
		return nil, nil, err
	}
	return s.st, warns, nil
}

// OpenLocked opens the workspace's state under its lock (see OpenLocked).
func (l *Local) OpenLocked(ctx context.Context, ws string, req LockInfo, timeout time.Duration) (Writer, []Warning, error) {
	s, warns, err := openLockedIn(ctx, l.stateDir(ws), req, timeout)
	if err != nil {
		return nil, nil, err
	}
	return s, warns, nil
}

// OpenUnlocked opens the workspace's state without its lock.
func (l *Local) OpenUnlocked(ctx context.Context, ws string) (Writer, []Warning, error) {
	s, warns, err := open(l.Where(ws))
	if err != nil {
		return nil, nil, err
	}
	return s, warns, nil
}

// Lock takes the workspace's lock alone (see Lock).
func (l *Local) Lock(ctx context.Context, ws string, req LockInfo, timeout time.Duration) (Unlocker, error) {
	lk, err := lockIn(ctx, l.stateDir(ws), req, timeout)
	if err != nil {
		return nil, err
	}
	return lk, nil
}

// ForceUnlock clears the workspace's lock record (see ForceUnlock).
func (l *Local) ForceUnlock(ctx context.Context, ws, id string) error {
	return forceUnlockIn(l.stateDir(ws), id)
}

// Answers is nil: local states share no answers.
func (l *Local) Answers() Answers { return nil }

// Close does nothing.
func (l *Local) Close() error { return nil }
