package cli

import (
	"fmt"

	"github.com/promptform/promptform/planner"
)

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

// stateMvView reports what state mv moves.
type stateMvView struct{ *viewBase }

// wouldMove lists what -dry-run would move.
func (v stateMvView) wouldMove(moves []planner.MovedRecord) {
	for _, r := range moves {
		fmt.Fprintf(v.stdout, "Would move %s to %s\n", r.From, r.Rec.Address)
	}
	fmt.Fprintf(v.stdout, "Would have moved %s.\n", count(len(moves), "record"))
}

// moved lists what was moved, then how many.
func (v stateMvView) moved(moves []planner.MovedRecord) {
	for _, r := range moves {
		fmt.Fprintf(v.stdout, "Moved %s to %s\n", r.From, r.Rec.Address)
	}
	fmt.Fprintf(v.stdout, "%s\n", v.paint.green(fmt.Sprintf("Successfully moved %s.", count(len(moves), "record"))))
}
