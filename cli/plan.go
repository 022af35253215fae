package cli

import (
	"flag"
	"os"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// planFlags are the options plan and apply share.
type planFlags struct {
	vars    varFlags
	json    bool
	offline bool
}

func (pf *planFlags) bind(m *Meta, name, usage string) *flag.FlagSet {
	fs := m.newFlags(name, usage)
	pf.vars.bind(fs)
	fs.BoolVar(&pf.json, "json", false, "print machine-readable events, one JSON object per line")
	fs.BoolVar(&pf.offline, "offline", false, "answer every request with the built-in offline model: no network, no key")
	return fs
}

func runPlan(m *Meta, args []string) int {
	var pf planFlags
	fs := pf.bind(m, "plan", "plan [-json] [-offline] [-detailed-exitcode] [-var NAME=VALUE]... [-var-file=FILE]...")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := m.planView(pf.json)
	p, _, ok := m.makePlan(&pf, view)
	if !ok {
		return 1
	}
	view.plan(m, p)
	if *detailed && p.HasChanges() {
		return 2
	}
	return 0
}

// makePlan loads everything and builds the plan, printing diagnostics.
func (m *Meta) makePlan(pf *planFlags, view planView) (*planner.Plan, *state.State, bool) {
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		view.diags(m, diags)
		return nil, nil, false
	}
	vars, moreDiags := m.parser.CollectVariables(cfg, pf.vars.args, os.Environ())
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		view.diags(m, diags)
		return nil, nil, false
	}
	st, moreDiags := m.loadState()
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		view.diags(m, diags)
		return nil, nil, false
	}
	var catalogs map[*config.Gateway]*planner.Catalog
	if !pf.offline {
		catalogs, moreDiags = m.catalogs(cfg, true)
		diags = append(diags, moreDiags...)
	}
	p, moreDiags := planner.Build(cfg, planner.Options{Vars: vars, State: st, Offline: pf.offline, Catalogs: catalogs})
	diags = append(diags, moreDiags...)
	view.diags(m, diags)
	return p, st, !diags.HasErrors()
}

// planView shows a plan.
type planView interface {
	diagView
	plan(m *Meta, p *planner.Plan)
}

func (m *Meta) planView(jsonOut bool) planView {
	if jsonOut {
		return &planJSON{events: newJSONEvents(m.Stdout)}
	}
	return planHuman{}
}
