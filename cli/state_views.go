package cli

import "fmt"

// stateListView prints the addresses state list finds.
type stateListView struct{ *viewBase }

// list prints one address a line on stdout.
func (v stateListView) list(addrs []string) {
	for _, addr := range addrs {
		fmt.Fprintln(v.stdout, addr)
	}
}

// stateRmView reports what state rm removes.
type stateRmView struct{ *viewBase }

// wouldRemove lists what -dry-run would remove.
func (v stateRmView) wouldRemove(addrs []string) {
	for _, addr := range addrs {
		fmt.Fprintf(v.stdout, "Would remove %s\n", addr)
	}
	fmt.Fprintf(v.stdout, "Would have removed %d instance(s).\n", len(addrs))
}

// removed lists what was removed, then how many.
func (v stateRmView) removed(addrs []string) {
	for _, addr := range addrs {
		fmt.Fprintf(v.stdout, "Removed %s\n", addr)
	}
	fmt.Fprintf(v.stdout, "%s\n", v.paint.green(fmt.Sprintf("Successfully removed %d instance(s).", len(addrs))))
}
