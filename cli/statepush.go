package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/promptform/promptform/state"
)

func runStatePull(m *Meta, args []string) int {
	fs := m.newFlags("state pull", "state pull")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := m.view()
	st, diags := m.loadState()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	var b bytes.Buffer
	if err := st.Encode(&b); err != nil {
		return view.fail("Cannot encode state", err.Error()+".")
	}
	m.Stdout.Write(b.Bytes())
	return 0
}

func runStatePush(m *Meta, args []string) int {
	fs := m.newFlags("state push", "state push [-force] FILE")
	force := fs.Bool("force", false, "replace a state of another lineage, or with a higher serial")
	lockTimeout := fs.Duration("lock-timeout", 0, "wait this long for the state lock")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := m.view()
	if fs.NArg() != 1 {
		return view.fail("State file required", "promptform state push FILE replaces the current workspace's state with FILE (- reads standard input); promptform state pull prints one.")
	}
	path := fs.Arg(0)
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(m.Stdin)
		path = "standard input"
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return view.fail("Cannot read state file", err.Error()+".")
	}
	pushed, err := state.Decode(b, path)
	if err != nil {
		return view.fail("Invalid state file", err.Error()+".")
	}
	store, diags, locked := m.openState(true, "state push", *lockTimeout)
	if !locked || diags.HasErrors() {
		view.diags(diags)
		if store != nil {
			store.Close()
		}
		return 1
	}
	defer store.Close()
	cur := store.State()
	exists := m.stateExists()
	switch {
	case *force || !exists:
	case cur.Lineage != pushed.Lineage:
		return view.fail("State lineage differs", fmt.Sprintf("%s has lineage %s, and the state in %s has %s: they are different pipelines' states, or one was started afresh. Nothing was changed. Run again with -force to replace it anyway.",
			path, pushed.Lineage, m.statePath(), cur.Lineage))
	case pushed.Serial < cur.Serial:
		return view.fail("State serial is older", fmt.Sprintf("%s has serial %d, older than the state in %s (serial %d): pushing it would lose what was recorded since. Nothing was changed. Pull the current state, or run again with -force.",
			path, pushed.Serial, m.statePath(), cur.Serial))
	}
	if err := store.Replace(pushed); err != nil {
		return view.fail("Cannot write state", err.Error()+". Nothing was changed.")
	}
	fmt.Fprintf(m.Stdout, "%s\n", view.paint.green(fmt.Sprintf("Pushed %d step instance(s) and %d output(s) to %s.", len(pushed.Steps), len(pushed.Outputs), m.statePath())))
	return 0
}
