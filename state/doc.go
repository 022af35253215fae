// Package state owns the state file, .promptform/state.json: the record of
// every finished step instance (its request, the request's hash and the
// response) and of the outputs, with a version, a lineage and a serial.
// Writes are atomic: a reader sees the old file or the new one, never a mix.
//
// It knows nothing of HCL; packages planner and executor read and write it.
// A *State is not safe for concurrent use; the executor guards its own.
package state
