package state

import "fmt"

// check reports what in a state read from path promptform never writes: no
// format version, no lineage, a null record, a record filed under another
// address. Each would be misread silently (a null step record is a step run
// and paid for again), so Load refuses it.
func (s *State) check(path string) error {
	restore := "Restore it from version control or a backup"
	switch {
	case s.Version > Version:
		return fmt.Errorf("state: %s has format version %d, newer than this promptform understands (%d); upgrade promptform", path, s.Version, Version)
	case s.Version == 0:
		return fmt.Errorf(`state: %s has no format version ("version" is missing or 0), which promptform always writes: `+
			`it was edited by hand or is not a promptform state file. %s, or set "version": %d if the rest is intact`, path, restore, Version)
	case s.Version < 0:
		return fmt.Errorf(`state: %s has format version %d, which no promptform writes: it was edited by hand. `+
			`%s, or set "version": %d if the rest is intact`, path, s.Version, restore, Version)
	case s.Steps == nil:
		return fmt.Errorf(`state: %s has no "steps" object (it is missing or null), which promptform always writes, `+
			`even empty: it was edited by hand or damaged in a merge. %s, or set "steps": {} if nothing was recorded`, path, restore)
	case s.Lineage == "":
		return fmt.Errorf("state: %s has no lineage; it is not a promptform state file, or was edited by hand. "+
			"%s, or move it away to start from an empty state", path, restore)
	}
	for addr, st := range s.Steps {
		switch {
		case st == nil:
			return fmt.Errorf(`state: %s: the record %q in "steps" is null; it was edited by hand or damaged in a merge, `+
				`and promptform does not guess what it held. %s, or delete the entry (the step then runs again)`, path, addr, restore)
		case st.Address != addr:
			return fmt.Errorf(`state: %s: the record %q in "steps" has the address %q; it was edited by hand or damaged in a merge. `+
				`%s, or delete the entry (the step then runs again)`, path, addr, st.Address, restore)
		}
	}
	for name, o := range s.Outputs {
		if o == nil {
			return fmt.Errorf(`state: %s: the output %q in "outputs" is null; it was edited by hand or damaged in a merge. `+
				`%s, or delete the entry (the next apply records the output again)`, path, name, restore)
		}
	}
	return nil
}
