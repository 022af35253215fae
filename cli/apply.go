package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// EnvGatewayURL overrides every gateway's URL.
const EnvGatewayURL = "PROMPTFORM_GATEWAY_URL"

func runApply(m *Meta, args []string) int {
	var pf planFlags
	fs := pf.bind(m, "apply", "apply [-auto-approve] [-parallelism=N] [-json] [-offline] [-replay] [-target=ADDR]... [-exclude=ADDR]... [-replace=ADDR]... [-var NAME=VALUE]... [-var-file=FILE]... [PLANFILE]")
	autoApprove := fs.Bool("auto-approve", false, "run without asking for confirmation")
	parallelism := fs.Int("parallelism", executor.DefaultParallelism, "how many calls may be in flight at once")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	if *parallelism < 1 {
		fmt.Fprintln(m.Stderr, "Error: -parallelism must be at least 1.")
		return 1
	}
	planFile := fs.Arg(0)
	if planFile != "" && (len(pf.vars.args) > 0 || pf.offline || pf.replay || len(pf.targets)+len(pf.excludes)+len(pf.replace) > 0) {
		return m.fail("Options with a saved plan", "A saved plan carries its own variables, mode and targets: apply PLANFILE takes none of -var, -var-file, -offline, -replay, -target, -exclude or -replace.")
	}
	view := m.applyView(pf.json)
	store, diags, locked := m.openState(pf.lock, "apply", pf.lockTimeout)
	if !locked {
		return 1
	}
	if diags.HasErrors() {
		view.diags(m, diags)
		return 1
	}
	defer store.Close() // and so releases the lock
	if store.Pending() > 0 && !pf.replay {
		// A run was killed: fold what it recorded before planning on it.
		// (A replay plans on the journal's progress as it is and writes
		// nothing unless it succeeds.)
		if err := store.Commit(); err != nil {
			return m.fail("Cannot write state", err.Error()+".")
		}
	}
	view.diags(m, diags)
	var p *planner.Plan
	var st *state.State
	var ok bool
	if planFile != "" {
		var saved *planFlags
		p, st, saved, ok = m.planFromFile(planFile, view)
		if ok {
			pf.offline, pf.replay = saved.offline, saved.replay
		}
	} else {
		p, st, ok = m.makePlan(&pf, view)
	}
	if !ok {
		return 1
	}
	view.plan(m, p)
	if p.HasChanges() && planFile == "" && !*autoApprove && !m.confirm(pf.json) {
		return 1
	}
	limits := executor.NewLimits()
	clients, diags := m.clients(p, pf.offline, pf.replay, limits)
	if err := store.CheckWritable(); err != nil && p.HasChanges() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot write state",
			Detail: err.Error() + ". apply records every answer as it arrives, so it calls nothing until the state directory is writable."})
	}
	if diags.HasErrors() {
		view.diags(m, diags)
		return 1
	}
	serialBefore := st.Serial
	res := executor.Run(m.ctx, p, executor.Options{
		Parallelism: *parallelism,
		Client:      clients,
		Offline:     pf.offline,
		Store:       store,
		Hook:        view.hook(m),
		CallContext: m.abandon,
		Limits:      limits,
	})
	if planFile != "" && st.Serial == serialBefore {
		// A saved plan applies once: move the serial on even when nothing
		// was written, so that the same file is stale from now on.
		if err := store.Commit(); err != nil {
			res.Diagnostics = append(res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot save state", Detail: err.Error()})
		}
	}
	view.diags(m, res.Diagnostics)
	view.result(m, p, res)
	if res.Diagnostics.HasErrors() || res.Interrupted {
		return 1
	}
	return 0
}

// confirm asks on a terminal; it refuses when stdin is not one.
func (m *Meta) confirm(jsonOut bool) bool {
	if !m.StdinTTY || jsonOut {
		writeDiags(m, m.Stderr, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Apply needs confirmation",
			Detail: "apply asks before it spends tokens, but standard input is not a terminal (or -json is set), so it cannot ask. " +
				"Review the plan and run apply -auto-approve to go ahead without asking.",
		}})
		return false
	}
	fmt.Fprintf(m.Stderr, "\n%s\n  Only 'yes' will be accepted.\n\n  Enter a value: ", m.bold("Do you want to run these steps?"))
	line, _ := bufio.NewReader(m.Stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(m.Stderr, "\nApply cancelled.")
		return false
	}
	fmt.Fprintln(m.Stderr)
	return true
}
