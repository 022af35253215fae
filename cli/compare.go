package cli

// runCompare compares the state with a baseline state file.
func runCompare(m *Meta, args []string) int {
	return m.view().fail("Not built yet", "compare is not built yet.")
}
