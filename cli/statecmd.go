package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// stateCommands are the subcommands of promptform state.
var stateCommands = map[string]command{
	"list": {"List the step instances in the state", runStateList},
	"show": {"Show everything recorded for one step instance", runStateShow},
	"rm":   {"Remove step instances from the state", runStateRm},
}

func runState(m *Meta, args []string) int {
	if len(args) == 0 || args[0] == "-help" || args[0] == "-h" || args[0] == "--help" {
		w := m.Stderr
		if len(args) > 0 {
			w = m.Stdout
		}
		printStateUsage(w)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	sub, ok := stateCommands[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "Error: unknown state subcommand %q.\n\n", args[0])
		printStateUsage(m.Stderr)
		return 1
	}
	return sub.run(m, args[1:])
}

func printStateUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: promptform [global options] state SUBCOMMAND [options] [ADDR...]\n\nSubcommands:\n")
	for _, name := range []string{"list", "show", "rm"} {
		fmt.Fprintf(w, "  %-6s %s\n", name, stateCommands[name].synopsis)
	}
}

// stateAddr is an address given to a state subcommand: step.NAME, which
// names every instance of the step, or one instance, step.NAME["key"] or
// step.NAME[0]. It is parsed as -target is (planner.ParseSelector).
type stateAddr struct {
	planner.Selector
}

// newStateAddr reads an address given on the command line.
func newStateAddr(s string) (stateAddr, error) {
	sel, err := planner.ParseSelector(s)
	if err != nil {
		return stateAddr{}, err
	}
	return stateAddr{Selector: sel}, nil
}

// matches reports whether the address names the recorded instance at addr.
// Recorded addresses are compared as the state spells them, so that every
// record can be named, whatever its key holds.
// An address without a sample index names every sample of what it names;
// #0 names the first sample alone, recorded without an index.
func (a stateAddr) matches(addr string) bool {
	if a.Sampled {
		want := a.Target
		want.Sampled = a.Sample > 0
		return addr == want.String()
	}
	if a.Whole() && strings.HasPrefix(addr, a.String()+"[") {
		return true
	}
	return addr == a.String() || strings.HasPrefix(addr, a.String()+"#")
}

// parseStateAddrs parses every argument; the diagnostics name the bad ones.
func parseStateAddrs(args []string) ([]stateAddr, hcl.Diagnostics) {
	var out []stateAddr
	var diags hcl.Diagnostics
	for _, s := range args {
		a, err := newStateAddr(s)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address", Detail: err.Error() + "."})
			continue
		}
		out = append(out, a)
	}
	return out, diags
}

// notInState is the error for an address that matches nothing recorded,
// with the closest recorded address when one is near.
func notInState(a stateAddr, st *state.State) *hcl.Diagnostic {
	detail := fmt.Sprintf("The state records no step instance at %s.", a.Text)
	candidates := st.Addresses()
	if a.Whole() {
		seen := map[string]bool{}
		candidates = candidates[:0:0]
		for _, addr := range st.Addresses() {
			name := addr
			if i := strings.IndexByte(addr, '['); i >= 0 {
				name = addr[:i]
			}
			if !seen[name] {
				seen[name] = true
				candidates = append(candidates, name)
			}
		}
	}
	if sug := config.NameSuggestion(a.String(), candidates); sug != "" {
		detail += fmt.Sprintf(" Did you mean %s?", sug)
	} else if len(candidates) > 0 {
		detail += " promptform state list shows what is recorded."
	} else {
		detail += " The state is empty."
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No such step instance in state", Detail: detail}
}

func runStateList(m *Meta, args []string) int {
	fs := m.newFlags("state list", "state list [ADDR...]")
	if !m.parseFlags(fs, args, len(args)) {
		return 1
	}
	view := stateListView{m.view()}
	filters, diags := parseStateAddrs(fs.Args())
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	var listed []string
	for _, addr := range st.Addresses() {
		if len(filters) == 0 || anyMatches(filters, addr) {
			listed = append(listed, addr)
		}
	}
	view.list(listed)
	return 0
}

func anyMatches(filters []stateAddr, addr string) bool {
	for _, f := range filters {
		if f.matches(addr) {
			return true
		}
	}
	return false
}

func runStateRm(m *Meta, args []string) int {
	fs := m.newFlags("state rm", "state rm [-dry-run] ADDR...")
	dryRun := fs.Bool("dry-run", false, "print what would be removed without changing the state")
	if !m.parseFlags(fs, args, len(args)) {
		return 1
	}
	view := stateRmView{m.view()}
	if fs.NArg() == 0 {
		return view.fail("Address required", "state rm removes step instances: promptform state rm ADDR... promptform state list shows the addresses.")
	}
	addrs, diags := parseStateAddrs(fs.Args())
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	if !*dryRun {
		store, openDiags, locked := m.openState(true, "state rm", 0)
		if !locked {
			view.diags(openDiags)
			return 1
		}
		if openDiags.HasErrors() {
			view.diags(openDiags)
			return 1
		}
		defer store.Close() // and so releases the lock
	}
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	// Every address must match something; otherwise nothing is removed.
	remove := map[string]bool{}
	for _, a := range addrs {
		found := false
		for _, addr := range st.Addresses() {
			if a.matches(addr) {
				remove[addr], found = true, true
			}
		}
		if !found {
			diags = append(diags, notInState(a, st))
		}
	}
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	removed := slices.Sorted(maps.Keys(remove))
	if *dryRun {
		view.wouldRemove(removed)
		return 0
	}
	for _, addr := range removed {
		if err := m.store.Remove(addr); err != nil {
			return view.fail("Cannot write state", err.Error()+". Nothing was removed.")
		}
	}
	if err := m.store.Commit(); err != nil {
		return view.fail("Cannot write state", err.Error()+".")
	}
	view.removed(removed)
	return 0
}
