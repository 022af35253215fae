package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// Warning is a problem Open recovered from, for the caller to show: the
// Summary is a short Title-case phrase, the Detail full sentences.
type Warning struct {
	Summary string
	Detail  string
}

// replay applies the journal to the state. haveState says whether
// state.json exists; without it the journal's first entry names the lineage.
func (s *Store) replay(haveState bool) ([]Warning, error) {
	data, err := os.ReadFile(s.jpath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: read %s: %w", s.jpath, err)
	}
	var warns []Warning
	for n := 1; len(data) > 0; n++ {
		line, rest, whole := bytes.Cut(data, []byte("\n"))
		e, err := decodeEntry(line)
		// A write cut short leaves a line that is not JSON, or has no
		// newline: dropped when it is the last. A whole JSON line that is
		// not a valid entry is damage wherever it is.
		var syntax *json.SyntaxError
		torn := !whole || errors.As(err, &syntax)
		if err == nil && !whole {
			err = errors.New("no newline at its end")
		}
		if err != nil && torn && len(rest) == 0 {
			warns = append(warns, s.tornWarning(n, err))
			break
		}
		if err != nil {
			return nil, s.corrupt(n, err)
		}
		if !haveState && n == 1 {
			s.st.Lineage = e.Lineage // state.json was never written
		}
		if err := s.replayEntry(n, e, haveState); err != nil {
			return nil, err
		}
		s.size += int64(len(line) + 1)
		data = rest
	}
	return warns, nil
}

// replayEntry checks one entry against the state and applies it. Entries of
// an older serial were folded into state.json by a Commit that did not get
// to remove the journal, so they are skipped.
func (s *Store) replayEntry(n int, e *entry, haveState bool) error {
	switch {
	case e.Lineage != s.st.Lineage:
		return fmt.Errorf("state: %s line %d belongs to a state of lineage %q, but %s has lineage %q: "+
			"it is the journal of another state. Restore the matching %s from version control, "+
			"or move the journal away (the steps it records will run again)",
			s.jpath, n, e.Lineage, s.path, s.st.Lineage, File)
	case e.Serial > s.st.Serial && !haveState:
		return fmt.Errorf("state: %s line %d extends serial %d of a state file, but %s does not exist. "+
			"Restore %s from version control, or move the journal away (the steps it records will run again)",
			s.jpath, n, e.Serial, s.path, File)
	case e.Serial > s.st.Serial:
		return fmt.Errorf("state: %s line %d extends serial %d, but %s has the older serial %d: "+
			"the state file was replaced by an older copy. Restore the newer %s from version control, "+
			"or move the journal away (the steps it records will run again)",
			s.jpath, n, e.Serial, s.path, s.st.Serial, File)
	case e.Serial < s.st.Serial:
		return nil // already in state.json
	}
	s.apply(e)
	s.pending++
	return nil
}

// decodeEntry decodes and checks one journal line.
func decodeEntry(line []byte) (*entry, error) {
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, err
	}
	if err := checkEntryVersion(e.Version); err != nil {
		return nil, err
	}
	switch {
	case e.Lineage == "":
		return nil, errors.New("no lineage")
	case e.Op == opStep && e.Step == nil:
		return nil, errors.New(`a "step" entry with a null step`)
	case e.Op == opStep && e.Step.Address == "":
		return nil, errors.New(`a "step" entry without a step address`)
	case e.Op == opRemove && e.Address == "":
		return nil, errors.New(`an "rm" entry without an address`)
	case e.Op != opStep && e.Op != opRemove && e.Op != opOutputs:
		return nil, fmt.Errorf("unknown op %q", e.Op)
	}
	for name, o := range e.Outputs {
		if o == nil {
			return nil, fmt.Errorf("an %q entry whose output %q is null", opOutputs, name)
		}
	}
	return &e, nil
}

// checkEntryVersion checks an entry's format version. Entries written
// before they carried one have none, and are version 1.
func checkEntryVersion(v json.RawMessage) error {
	if len(v) == 0 {
		return nil
	}
	if string(v) == "null" {
		return errors.New(`no format version ("version" is null)`)
	}
	n, err := strconv.Atoi(string(v))
	switch {
	case err != nil || n < 1:
		return fmt.Errorf("format version %s, which no promptform writes", v)
	case n > Version:
		return fmt.Errorf("format version %d, newer than this promptform understands (%d); upgrade promptform", n, Version)
	}
	return nil
}

func (s *Store) tornWarning(n int, err error) Warning {
	return Warning{
		Summary: "Incomplete last journal entry dropped",
		Detail: fmt.Sprintf("The last line of %s (line %d) is incomplete (%v): promptform was stopped while it "+
			"was recording a step. That entry is ignored, so its step will run again; "+
			"every entry before it is kept.", s.jpath, n, err),
	}
}

func (s *Store) corrupt(n int, err error) error {
	return fmt.Errorf("state: %s line %d is not a valid journal entry (%v). The journal holds progress "+
		"not yet folded into %s, and a complete line that is not a valid entry means it was damaged or edited. "+
		"Restore it from version control or a backup, or move it away (the steps it records will run again)",
		s.jpath, n, err, s.path)
}
