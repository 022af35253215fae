// Package state owns the state file, .promptform/state.json: the record of
// every finished step instance (its request, the request's hash and the
// response) and of the outputs, with a version, a lineage and a serial.
// Writes are atomic: a reader sees the old file or the new one, never a mix.
// Load refuses what promptform never writes (no format version, a null
// record) rather than guess.
//
// Three calls make the interface to the state of a configuration directory,
// and they are what a remote backend will implement in its turn:
//
//   - Read returns the state, with the progress of its journal, taking no
//     lock and writing nothing (plan, show, output, state list and show).
//   - OpenLocked takes the exclusive lock and returns a *Store that holds it:
//     the only value that writes the state (apply, state rm). Its Close
//     releases the lock. OpenUnlocked is the same without the lock, for
//     -lock=false.
//   - ForceUnlock clears the record of a lock whose holder is gone.
//
// Progress is durable step by step through the Store: each Record, Remove
// or SetOutputs appends one JSON line to a journal beside the state,
// state.json.journal, and syncs it, at a cost proportional to the change;
// Commit folds the journal into state.json at the end of an apply. A crash
// loses only what was being written; the next open replays the rest.
//
// The lock is an flock on .promptform/state.lock that records who holds it
// (Lock, which plan also takes alone, to read a state no apply is writing);
// taking it removes temporary files that a killed write left.
//
// EnsureDir creates .promptform with a .gitignore that lets only state.json
// be committed; every writer of a file in it calls EnsureDir first.
//
// It knows nothing of HCL; packages planner and executor read and write it.
// A *State is not safe for concurrent use; the executor guards its own. A
// *Store is.
package state
