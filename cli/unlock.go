package cli

import (
	"fmt"

	"github.com/promptform/promptform/state"
)

// runForceUnlock clears the lock information of an apply whose process is
// gone, as its ID names it.
func runForceUnlock(m *Meta, args []string) int {
	fs := m.newFlags("force-unlock", "force-unlock ID")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	if fs.NArg() != 1 {
		return m.fail("Lock ID required", "force-unlock takes the ID that the \"State locked\" message names: promptform force-unlock ID.")
	}
	if err := state.ForceUnlock(m.Dir, fs.Arg(0)); err != nil {
		return m.fail("Cannot unlock the state", err.Error()+".")
	}
	fmt.Fprintln(m.Stdout, m.green("The state lock was cleared.")+" Only do this when the apply that held it is no longer running.")
	return 0
}
