package cli

import (
	"flag"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// planFlags are the options plan and apply share.
type planFlags struct {
	vars     varFlags
	json     bool
	offline  bool
	replay   bool
	targets  []string
	excludes []string
	replace  []string
}

func (pf *planFlags) bind(m *Meta, name, usage string) *flag.FlagSet {
	fs := m.newFlags(name, usage)
	pf.vars.bind(fs)
	fs.BoolVar(&pf.json, "json", false, "print machine-readable events, one JSON object per line")
	fs.BoolVar(&pf.offline, "offline", false, "answer every request with the built-in offline model: no network, no key")
	fs.BoolVar(&pf.replay, "replay", false, "serve only responses recorded in the state; fail on anything not recorded (no network)")
	appendTo := func(list *[]string) func(string) error {
		return func(s string) error { *list = append(*list, s); return nil }
	}
	fs.Func("target", "plan only this step (step.NAME or step.NAME[\"key\"]) and what it depends on (repeatable)", appendTo(&pf.targets))
	fs.Func("exclude", "leave out this step and everything that depends on it (repeatable)", appendTo(&pf.excludes))
	fs.Func("replace", "ask this step again even if its request is unchanged (repeatable)", appendTo(&pf.replace))
	return fs
}

// filter builds the planner's filter from -target, -exclude and -replace.
func (pf *planFlags) filter() (*planner.Filter, hcl.Diagnostics) {
	f := &planner.Filter{}
	var diags hcl.Diagnostics
	for _, list := range []struct {
		flag  string
		addrs []string
		into  *[]planner.Selector
	}{{"-target", pf.targets, &f.Targets}, {"-exclude", pf.excludes, &f.Excludes}, {"-replace", pf.replace, &f.Replace}} {
		for _, a := range list.addrs {
			sel, err := planner.ParseSelector(a)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + list.flag + " address", Detail: err.Error() + "."})
				continue
			}
			*list.into = append(*list.into, sel)
		}
	}
	return f, diags
}

func runPlan(m *Meta, args []string) int {
	var pf planFlags
	fs := pf.bind(m, "plan", "plan [-out=FILE] [-json] [-offline] [-replay] [-detailed-exitcode] [-target=ADDR]... [-exclude=ADDR]... [-replace=ADDR]... [-var NAME=VALUE]... [-var-file=FILE]...")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	out := fs.String("out", "", "save the plan to FILE, for apply FILE to run exactly it")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := m.planView(pf.json)
	p, st, ok := m.makePlan(&pf, view)
	if !ok {
		return 1
	}
	view.plan(m, p)
	if *out != "" {
		if err := m.savePlan(*out, p, st, &pf); err != nil {
			return m.fail("Cannot save the plan", err.Error())
		}
		if !pf.json {
			fmt.Fprintf(m.Stdout, "\nSaved the plan to %s. To run exactly it: promptform apply %s\n", *out, *out)
		}
	}
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
	return m.planWith(cfg, vars, pf, view, diags)
}

// planWith plans a loaded configuration with its variables.
func (m *Meta) planWith(cfg *config.Config, vars map[string]cty.Value, pf *planFlags, view planView, diags hcl.Diagnostics) (*planner.Plan, *state.State, bool) {
	filter, moreDiags := pf.filter()
	diags = append(diags, moreDiags...)
	if pf.offline && pf.replay {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting options",
			Detail: "-offline and -replay cannot be used together: -replay serves only recorded responses."})
	}
	st, moreDiags := m.loadState()
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		view.diags(m, diags)
		return nil, nil, false
	}
	var catalogs map[*config.Gateway]*planner.Catalog
	if !pf.offline && !pf.replay {
		catalogs, moreDiags = m.catalogs(cfg, true)
		diags = append(diags, moreDiags...)
	}
	p, moreDiags := planner.Build(cfg, planner.Options{
		Vars: vars, State: st, Catalogs: catalogs, Filter: filter,
		Offline: pf.offline || pf.replay, // replay re-uses whatever is recorded
	})
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
