package state

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// DefaultWorkspace is the workspace every pipeline has, and the one used
// when none is selected.
const DefaultWorkspace = "default"

// Backend keeps the states of a pipeline, one per workspace: the local
// files (Local) or a database (package pgstate). Every command that reads
// or writes the state goes through one.
//
// Writing is done by a Writer, which OpenLocked returns holding the
// workspace's lock: the lock belongs to the Writer and is released by its
// Close, so nothing writes a state without holding its lock (OpenUnlocked,
// for -lock=false, is the explicit exception).
type Backend interface {
	// Describe names where the backend keeps the states, for messages:
	// "the local directory .promptform", "PostgreSQL at HOST (schema S)".
	// It never includes a password.
	Describe() string
	// Where names where one workspace's state is, for messages.
	Where(ws string) string
	// Workspaces lists the workspaces, sorted, the default one always
	// among them.
	Workspaces(ctx context.Context) ([]string, error)
	// NewWorkspace creates an empty workspace; it is an error if it
	// exists.
	NewWorkspace(ctx context.Context, ws string) error
	// DeleteWorkspace deletes a workspace and its state. The default
	// workspace cannot be deleted. It takes the workspace's lock.
	DeleteWorkspace(ctx context.Context, ws string) error
	// Exists reports whether the workspace has a state written yet.
	Exists(ctx context.Context, ws string) (bool, error)
	// Read reads a workspace's state with the progress its journal holds,
	// without the lock and without writing: a missing state is an empty
	// one. A torn last journal entry is a Warning.
	Read(ctx context.Context, ws string) (*State, []Warning, error)
	// OpenLocked takes the workspace's lock (waiting up to timeout, or
	// until ctx is done), then opens its state for writing. A lock that
	// cannot be taken is a *LockError.
	OpenLocked(ctx context.Context, ws string, req LockInfo, timeout time.Duration) (Writer, []Warning, error)
	// OpenUnlocked opens the state for writing without the lock.
	OpenUnlocked(ctx context.Context, ws string) (Writer, []Warning, error)
	// Lock takes the workspace's lock alone, for a reader that wants no
	// apply to write while it reads (plan). Errors are as OpenLocked's,
	// unwrapped.
	Lock(ctx context.Context, ws string, req LockInfo, timeout time.Duration) (Unlocker, error)
	// ForceUnlock clears the lock record with the ID id, when its holder
	// is gone.
	ForceUnlock(ctx context.Context, ws, id string) error
	// Answers is the answer cache shared by every workspace and checkout,
	// or nil when the backend keeps none.
	Answers() Answers
	// Close releases what the backend holds (connections).
	Close() error
}

// Writer is a state open for writing. Its methods are those of Store:
// every change is durable when the method returns.
type Writer interface {
	// State returns the state with every change applied; never nil.
	State() *State
	// Record makes a finished step durable under step.Address.
	Record(step *Step) error
	// Remove makes the removal of the step at addr durable.
	Remove(addr string) error
	// SetOutputs makes the new set of outputs durable.
	SetOutputs(outputs map[string]*Output) error
	// Replace replaces the whole state with st (state push), durably:
	// st's lineage and serial are kept as they are.
	Replace(st *State) error
	// Commit folds the journal into the state, incrementing its serial.
	Commit() error
	// Pending is how many changes the last Commit does not hold.
	Pending() int
	// Close ends writing, keeping what was recorded, and releases the
	// lock.
	Close() error
}

// Unlocker is a lock held alone: Unlock releases it.
type Unlocker interface {
	Unlock() error
}

// Answers is a cache of recorded answers, keyed by the request hash
// (planner.SampleHash): an identical request (and sample) is answered from
// it instead of the model, whatever the step's address, workspace or
// checkout.
type Answers interface {
	// Lookup returns the record of an answered request with the hash, or
	// nil when there is none. The record is a copy: its address is that of
	// the instance that recorded it.
	Lookup(ctx context.Context, hash string) (*Step, error)
}

// validWorkspace is what a workspace name may be: it names a directory and
// a database key, and appears in plans.
var validWorkspace = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$`)

// CheckWorkspaceName reports a workspace name that cannot be used.
func CheckWorkspaceName(ws string) error {
	if !validWorkspace.MatchString(ws) || ws == "." || ws == ".." {
		return fmt.Errorf("%q is not a valid workspace name: use letters, digits, '-', '_' and '.', starting with a letter or digit, at most 90 characters", ws)
	}
	return nil
}
