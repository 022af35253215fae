package cli

// runForceUnlock clears the lock information of an apply whose process is
// gone, as its ID names it.
func runForceUnlock(m *Meta, args []string) int {
	fs := m.newFlags("force-unlock", "force-unlock ID")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := unlockView{m.view()}
	if fs.NArg() != 1 {
		return view.fail("Lock ID required", "force-unlock takes the ID that the \"State locked\" message names: promptform force-unlock ID.")
	}
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	if err := be.ForceUnlock(m.ctx, ws, fs.Arg(0)); err != nil {
		return view.fail("Cannot unlock the state", err.Error()+".")
	}
	view.unlocked()
	return 0
}
