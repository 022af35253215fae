package cli

// runReport writes the HTML report of the recorded run.
func runReport(m *Meta, args []string) int {
	return m.view().fail("Not built yet", "report is not built yet.")
}
