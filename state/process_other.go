//go:build !unix

package state

// processGone reports whether no process with this PID exists; where that
// cannot be told, it says the process may exist.
func processGone(pid int) bool { return false }
