// Package pgstate keeps promptform states in PostgreSQL: a state.Backend
// whose workspaces, states, journals, locks and shared answers are rows of
// five tables in one schema, so that every checkout of a pipeline (and every
// machine that runs it) sees the same state and reuses the same answers.
//
// It mirrors the local backend's contract (see package state): Read and
// OpenLocked load a workspace's state and replay its journal; a Writer makes
// each Record, Remove and SetOutputs durable as one committed transaction
// that appends a journal row; Commit folds the journal into the state row.
//
// The lock is a session-level advisory lock held by a connection of its
// own, so a holder that dies or loses its connection releases it as soon as
// the server sees the session end, and a locked Writer writes through that
// connection: it cannot write once the lock is gone. The locks row only
// says who holds the lock; one left by a holder that is gone is stale, is
// never reported as the holder, and is overwritten by the next one.
//
// The default workspace always exists. Another exists once NewWorkspace
// created it or a Writer first wrote to it (a workspaces row); reading one
// that does not exist gives an empty state, as the local backend does.
//
// It owns the tables and their layout; it knows nothing of HCL or of how
// states are planned. Messages name the server as host:port and database,
// and never include the password of the connection string.
package pgstate
