// Package state owns the state file, .promptform/state.json: the record of
// every finished step instance (its request, the request's hash and the
// response) and of the outputs, with a version, a lineage and a serial.
// Writes are atomic: a reader sees the old file or the new one, never a mix.
// Load refuses what promptform never writes (no format version, a null
// record) rather than guess.
//
// Progress is durable step by step through a Store (Open): each Record,
// Remove or SetOutputs appends one JSON line to a journal beside the state,
// state.json.journal, and syncs it, at a cost proportional to the change;
// Commit folds the journal into state.json at the end of an apply. A crash
// loses only what was being written; the next Open replays the rest.
//
// Lock takes the exclusive lock held for a whole apply, an flock on
// .promptform/state.lock that records who holds it, and removes temporary
// files that a killed write left; ForceUnlock clears a record left behind.
//
// EnsureDir creates .promptform with a .gitignore that lets only state.json
// be committed; every writer of a file in it calls EnsureDir first.
//
// It knows nothing of HCL; packages planner and executor read and write it.
// A *State is not safe for concurrent use; the executor guards its own. A
// *Store is.
package state
