package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// stateCommands are the subcommands of promptform state.
var stateCommands = map[string]command{
	"list": {"List the step instances in the state", runStateList},
	"show": {"Show everything recorded for one step instance", runStateShow},
	"rm":   {"Remove step instances from the state", runStateRm},
	"mv":   {"Move recorded step instances to another address", runStateMv},
	"pull": {"Print the current workspace's state as JSON", runStatePull},
	"push": {"Replace the current workspace's state with a state file", runStatePush},
}

func runState(m *Meta, args []string) int {
	return runSubcommand(m, args, "state", stateCommands, printStateUsage)
}

func printStateUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: promptform [global options] state SUBCOMMAND [options] [ADDR...]\n       promptform [global options] state mv [-dry-run] FROM TO\n       promptform [global options] state push [-force] FILE\n\nSubcommands:\n")
	for _, name := range []string{"list", "show", "rm", "mv", "pull", "push"} {
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
	if a.IsModule() {
		return strings.HasPrefix(addr, a.String()+".") || strings.HasPrefix(addr, a.String()+"[")
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
	st, release, ok := m.stateForEdit("state rm", *dryRun, view.diags)
	if !ok {
		return 1
	}
	defer release()
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

func runStateMv(m *Meta, args []string) int {
	fs := m.newFlags("state mv", "state mv [-dry-run] FROM TO")
	dryRun := fs.Bool("dry-run", false, "print what would be moved without changing the state")
	if !m.parseFlags(fs, args, 2) {
		return 1
	}
	view := stateMvView{m.view()}
	if fs.NArg() < 2 {
		return view.fail("Addresses required", "state mv moves recorded step instances: promptform state mv FROM TO, as in promptform state mv step.old step.new. promptform state list shows the addresses.")
	}
	from, to, diags := parseMoveAddrs(fs.Arg(0), fs.Arg(1))
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	st, release, ok := m.stateForEdit("state mv", *dryRun, view.diags)
	if !ok {
		return 1
	}
	defer release()
	moves, diags := stateMoves(st, from, to)
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	if *dryRun {
		view.wouldMove(moves)
		return 0
	}
	// Each record is written at its new address before the old one is
	// removed: a failure leaves it at one of them, or at both, never at
	// neither.
	for i, r := range moves {
		if err := m.store.Record(r.Rec); err != nil {
			return view.fail("Cannot write state", err.Error()+". "+partialMove(moves[:i], r, false))
		}
		if err := m.store.Remove(r.From); err != nil {
			return view.fail("Cannot write state", err.Error()+". "+partialMove(moves[:i], r, true))
		}
	}
	if err := m.store.Commit(); err != nil {
		return view.fail("Cannot write state", err.Error()+".")
	}
	view.moved(moves)
	return 0
}

// partialMove says what a move that failed part of the way left: the
// records in done moved; at, where it failed, is at its old address, and
// with both at its new one too.
func partialMove(done []planner.MovedRecord, at planner.MovedRecord, both bool) string {
	where := fmt.Sprintf("%s is still recorded", at.From)
	if both {
		where = fmt.Sprintf("%s is recorded both there and at %s", at.From, at.Rec.Address)
	}
	if len(done) == 0 && !both {
		return "Nothing was lost, and nothing was moved."
	}
	return fmt.Sprintf("Nothing was lost: %d record(s) moved before the failure; %s; the rest are at their old addresses. "+
		"promptform state list shows where each is; move the rest one instance at a time.", len(done), where)
}

// parseMoveAddrs reads the FROM and TO of state mv: step addresses without
// a sample index (a sample moves with its instance), and not the same one.
func parseMoveAddrs(fromText, toText string) (from, to stateAddr, diags hcl.Diagnostics) {
	parsed, diags := parseStateAddrs([]string{fromText, toText})
	if diags.HasErrors() {
		return from, to, diags
	}
	from, to = parsed[0], parsed[1]
	if from.IsModule() != to.IsModule() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid move",
			Detail: fmt.Sprintf("%s and %s are not alike: a module moves to a module, and a step or an instance to a step or an instance.", from.Text, to.Text)})
	}
	for _, a := range parsed {
		if !a.Sampled {
			continue
		}
		inst := a.Target
		inst.Sampled = false
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address",
			Detail: fmt.Sprintf("%s names one sample; state mv moves an instance with all its samples, so name %s.", a.Text, inst)})
	}
	if !diags.HasErrors() && from.String() == to.String() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid move",
			Detail: fmt.Sprintf("%s and %s are the same address: there is nothing to move.", from.Text, to.Text)})
	}
	return from, to, diags
}

// stateMoves returns the records of st that state mv moves from from to
// to, each re-addressed, in address order. It is an error when from matches
// nothing recorded, when some record it matches cannot move to to (a step
// with keyed instances moved to one instance), or when a destination is
// recorded already (for a whole step moved to a whole step, any instance
// of it); then nothing moves.
func stateMoves(st *state.State, from, to stateAddr) ([]planner.MovedRecord, hcl.Diagnostics) {
	var matched []string
	for _, addr := range st.Addresses() {
		if from.matches(addr) {
			matched = append(matched, addr)
		}
	}
	if len(matched) == 0 {
		return nil, hcl.Diagnostics{notInState(from, st)}
	}
	moves := planner.MoveRecords(st, from.Target, to.Target)
	if d := unmoved(matched, moves, from, to); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if d := occupied(st, moves, from, to); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return moves, nil
}

// unmoved is the error for recorded addresses that from matches but that
// cannot move to to, or nil when every one moves.
func unmoved(matched []string, moves []planner.MovedRecord, from, to stateAddr) *hcl.Diagnostic {
	moving := map[string]bool{}
	for _, r := range moves {
		moving[r.From] = true
	}
	var left []string
	for _, addr := range matched {
		if !moving[addr] {
			left = append(left, addr)
		}
	}
	if len(left) == 0 {
		return nil
	}
	detail := fmt.Sprintf("%s cannot move to %s: %s.", from.Text, to.Text, strings.Join(left, ", "))
	if from.Whole() && !to.Whole() {
		left = instances(left)
		detail = fmt.Sprintf("%s has instances with keys (%s), and only a step without them moves to one instance, %s. "+
			"Move the whole step to a whole step (promptform state mv %s step.NEW), or one instance at a time (promptform state mv %s %s).",
			from.Text, strings.Join(left, ", "), to.Text, from.Text, left[0], to.Text)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot move step instances", Detail: detail + " Nothing was moved."}
}

// occupied is the error for destinations of the moves that are recorded
// already, or nil when every one is free. A whole step moves only to a
// step with nothing recorded, as in Terraform, so that its instances are
// not mixed with another step's.
func occupied(st *state.State, moves []planner.MovedRecord, from, to stateAddr) *hcl.Diagnostic {
	var taken []string
	if from.Whole() && to.Whole() {
		for _, addr := range st.Addresses() {
			if to.matches(addr) {
				taken = append(taken, addr)
			}
		}
	} else {
		for _, r := range moves {
			if st.Steps[r.Rec.Address] != nil {
				taken = append(taken, r.Rec.Address)
			}
		}
	}
	if len(taken) == 0 {
		return nil
	}
	taken = instances(taken)
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Move destination already recorded",
		Detail: fmt.Sprintf("The state records %s already, so %s cannot move to %s. Nothing was moved. "+
			"Remove what is recorded there first (promptform state rm %s), or move to another address.",
			strings.Join(taken, ", "), from.Text, to.Text, strings.Join(taken, " "))}
}

// instances returns recorded addresses without their sample indexes, each
// once, in the order given.
func instances(recorded []string) []string {
	var out []string
	for _, addr := range recorded {
		inst, _ := addrs.SplitSample(addr)
		if !slices.Contains(out, inst) {
			out = append(out, inst)
		}
	}
	return out
}

// stateForEdit reads the state for a state subcommand that changes it:
// under the lock, which release gives back, unless dryRun. false, with the
// diagnostics shown, when it cannot.
func (m *Meta) stateForEdit(cmd string, dryRun bool, show func(hcl.Diagnostics)) (st *state.State, release func(), ok bool) {
	release = func() {}
	if !dryRun {
		store, diags, locked := m.openState(true, cmd, 0)
		if !locked || diags.HasErrors() {
			show(diags)
			if store != nil {
				store.Close()
			}
			return nil, release, false
		}
		release = func() { store.Close() }
	}
	st, diags := m.loadState()
	if diags.HasErrors() {
		show(diags)
		release()
		return nil, func() {}, false
	}
	return st, release, true
}
