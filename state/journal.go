package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// JournalSuffix is appended to the state file's path to name its journal.
const JournalSuffix = ".journal"

// entryVersion is the "version" of the entries Store writes: Version.
var entryVersion = json.RawMessage(strconv.Itoa(Version))

// ErrClosed is returned by the writing methods of a closed Store.
var ErrClosed = errors.New("state: store closed")

// Journal operations, the "op" of a journal line.
const (
	opStep    = "step"
	opRemove  = "rm"
	opOutputs = "outputs"
)

// entry is one line of the journal. Version is the format version (absent
// in journals written before entries carried one, which are version 1).
// Lineage and Serial name the state.json the entry extends.
type entry struct {
	Version json.RawMessage    `json:"version,omitempty"`
	Op      string             `json:"op"`
	Lineage string             `json:"lineage"`
	Serial  uint64             `json:"serial"`
	Step    *Step              `json:"step,omitempty"`
	Address string             `json:"address,omitempty"`
	Outputs map[string]*Output `json:"outputs,omitempty"`
}

// Store is a state and its journal: an append-only file of JSON lines beside
// state.json (path + ".journal") that makes each change durable at a cost
// proportional to the change, not to the state. Commit folds the journal
// into state.json.
//
// A Store is the only value that writes the state, and OpenLocked, which
// takes the lock first, is how a command gets one: the Store holds the lock
// until Close. (OpenUnlocked opens one without the lock, for -lock=false.)
// A command that only reads uses Read.
//
// The methods of a Store are safe for concurrent use. The *State it returns
// is changed by Record, Remove and SetOutputs, so read it only while no
// write is in flight (the executor reads it from its scheduler goroutine,
// which is also the one that writes).
type Store struct {
	mu      sync.Mutex
	path    string
	jpath   string
	st      *State
	lock    *Lockfile // the lock the Store holds; nil without one
	f       *os.File  // the journal, opened at the first write
	size    int64     // bytes of whole, valid lines in the journal
	pending int       // entries applied since state.json was last written
	closed  bool
	seam    *writeSeam // see save; nil but in tests
	// dirty is true while journal lines are written but not yet synced;
	// syncTimer syncs them (group commit, see SyncInterval), and syncErr
	// is the error of a sync that failed, which the next write returns.
	dirty     bool
	syncTimer *time.Timer
	syncErr   error
	// syncEvery is the group-commit interval; 0 syncs every write.
	syncEvery time.Duration
}

// SyncInterval is how long a journal line may wait for its fsync: the
// lines written meanwhile are synced together (group commit), so an apply
// of many fast calls does not wait for one fsync per answer. Every line
// is written to the file at once, so a killed process loses nothing; a
// crash of the machine itself (power, kernel) loses at most the answers
// recorded in the last SyncInterval. Commit and Close sync first.
const SyncInterval = 50 * time.Millisecond

// State returns the state, with every journal entry applied. It is never nil.
func (s *Store) State() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// Path returns the path of state.json.
func (s *Store) Path() string { return s.path }

// Pending returns how many journal entries are applied to the state but not
// yet folded into state.json by Commit.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Record makes a finished step durable: it appends the step to the journal,
// syncs it, and only then puts it in the state under step.Address, replacing
// any earlier record. The Store keeps step; don't change it afterwards.
func (s *Store) Record(step *Step) error {
	if step == nil || step.Address == "" {
		return errors.New("state: record: a step needs an address")
	}
	return s.write(&entry{Op: opStep, Step: step})
}

// Remove makes the removal of the step at addr durable and removes it from
// the state. Removing an address that is not recorded is not an error.
func (s *Store) Remove(addr string) error {
	if addr == "" {
		return errors.New("state: remove: empty address")
	}
	return s.write(&entry{Op: opRemove, Address: addr})
}

// SetOutputs makes the new set of outputs durable and puts it in the state,
// replacing all earlier outputs. The Store keeps the map.
func (s *Store) SetOutputs(outputs map[string]*Output) error {
	if outputs == nil {
		outputs = map[string]*Output{}
	}
	for name, o := range outputs {
		if o == nil {
			return fmt.Errorf("state: set outputs: output %q has no record", name)
		}
	}
	return s.write(&entry{Op: opOutputs, Outputs: outputs})
}

// Commit writes the whole state to state.json atomically, incrementing its
// serial, and then removes the journal. It costs O(size of the state): call
// it once, at the end of an apply (and after OpenLocked, if Pending > 0).
// A crash between the two steps leaves a journal that the next open
// recognises as already folded in, by its serial.
//
// The state is streamed into a temporary file beside state.json, one record
// at a time, so Commit needs no second copy of it in memory. On disk it
// needs room for the new state while the old one and the journal are still
// there: until the new file is complete, they are the only record. A Commit
// that fails (a full disk) removes its temporary file and leaves state.json
// and the journal as they were; the Store goes on recording.
func (s *Store) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.flushLocked() // the journal stays the record until state.json is written
	if err := s.st.save(s.path, s.seam); err != nil {
		if s.pending > 0 {
			err = fmt.Errorf("%w. Nothing is lost: the journal %s still holds every recorded step, "+
				"and the next apply folds it in", err, s.jpath)
		}
		return err
	}
	s.pending = 0
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.size = 0
	if err := os.Remove(s.jpath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("state: %s is saved, but its old journal could not be removed: %w", s.path, err)
	}
	syncDir(filepath.Dir(s.jpath))
	return nil
}

// Replace replaces the whole state with st and writes it to state.json
// at once, dropping the journal: what state push does. st keeps its
// lineage; its serial becomes one more than the larger of its own and the
// replaced state's, so that a plan made against either is stale. The Store
// keeps st.
func (s *Store) Replace(st *State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	st.Serial = max(st.Serial, s.st.Serial)
	s.flushLocked()
	if err := st.save(s.path, s.seam); err != nil {
		return err
	}
	s.st, s.pending = st, 0
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	s.size = 0
	if err := os.Remove(s.jpath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("state: %s is replaced, but its old journal could not be removed: %w", s.path, err)
	}
	syncDir(filepath.Dir(s.jpath))
	return nil
}

// Close closes the journal without folding it into state.json, then
// releases the lock the Store holds; what was recorded stays in the journal
// for the next open. Close is idempotent; writes after it return ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.flushLocked()
	if err != nil {
		err = fmt.Errorf("state: sync %s: %w", s.jpath, err)
	}
	if s.f != nil {
		if cerr := s.f.Close(); cerr != nil {
			err = fmt.Errorf("state: close %s: %w", s.jpath, cerr)
		}
		s.f = nil
	}
	if s.lock != nil {
		err = errors.Join(err, s.lock.Unlock())
	}
	return err
}

// write appends e to the journal, syncs it, then applies it to the state.
// A failed write is cut off the journal so the next line starts clean.
func (s *Store) write(e *entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	e.Version, e.Lineage, e.Serial = entryVersion, s.st.Lineage, s.st.Serial
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("state: encode journal entry: %w", err)
	}
	line = append(line, '\n')
	if err := s.openJournal(); err != nil {
		return err
	}
	if s.syncErr != nil {
		return fmt.Errorf("state: sync %s: %w", s.jpath, s.syncErr)
	}
	if _, err := s.f.Write(line); err != nil {
		return s.undo(err)
	}
	if s.syncEvery <= 0 {
		if err := s.f.Sync(); err != nil {
			return s.undo(err)
		}
	} else if s.dirty = true; s.syncTimer == nil {
		s.syncTimer = time.AfterFunc(s.syncEvery, s.groupSync)
	}
	s.size += int64(len(line))
	s.apply(e)
	s.pending++
	return nil
}

// groupSync syncs the journal lines written since the last sync.
func (s *Store) groupSync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncTimer = nil
	s.flushLocked()
}

// flushLocked syncs unsynced journal lines; a failure is kept for the next
// write to return. The caller holds s.mu.
func (s *Store) flushLocked() error {
	if s.syncTimer != nil {
		s.syncTimer.Stop()
		s.syncTimer = nil
	}
	if !s.dirty || s.f == nil {
		return s.syncErr
	}
	s.dirty = false
	if err := s.f.Sync(); err != nil && s.syncErr == nil {
		s.syncErr = err
	}
	return s.syncErr
}

// undo cuts a failed write off the journal.
func (s *Store) undo(err error) error {
	if terr := s.f.Truncate(s.size); terr != nil {
		s.f.Close()
		s.f = nil // reopened, and cut again, at the next write
	}
	return fmt.Errorf("state: write %s: %w", s.jpath, err)
}

// openJournal opens the journal for appending at the first write, cutting
// off a torn last line that opening dropped.
func (s *Store) openJournal() error {
	if s.f != nil {
		return nil
	}
	if err := EnsureDir(filepath.Dir(s.jpath)); err != nil {
		return err
	}
	_, statErr := os.Stat(s.jpath)
	f, err := os.OpenFile(s.jpath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("state: open %s: %w", s.jpath, err)
	}
	if err := f.Truncate(s.size); err != nil {
		f.Close()
		return fmt.Errorf("state: open %s: %w", s.jpath, err)
	}
	if statErr != nil {
		syncDir(filepath.Dir(s.jpath)) // make the new file's name durable
	}
	s.f = f
	return nil
}

// apply applies one entry to the state.
func (s *Store) apply(e *entry) {
	switch e.Op {
	case opStep:
		s.st.Steps[e.Step.Address] = e.Step
	case opRemove:
		delete(s.st.Steps, e.Address)
	case opOutputs:
		if e.Outputs == nil {
			e.Outputs = map[string]*Output{}
		}
		s.st.Outputs = e.Outputs
	}
}
