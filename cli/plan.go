package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	budget   *float64 // -budget=USD, or nil

	lock        bool          // -lock=false skips the state lock
	lockTimeout time.Duration // -lock-timeout: wait this long for it

	cachedCatalog bool // read model catalogs from the cache only (show)
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
	fs.Func("budget", "refuse to run a plan expected to cost more than `USD` dollars, and stop starting calls before a run could spend more (wins over the promptform block's budget)", func(s string) error {
		usd, err := parseBudget(s)
		if err == nil {
			pf.budget = &usd
		}
		return err
	})
	fs.BoolVar(&pf.lock, "lock", true, "hold the state lock while running (-lock=false: don't; only when nothing else can write the state)")
	fs.DurationVar(&pf.lockTimeout, "lock-timeout", 0, "wait this long for another run's lock on the state (0: fail at once)")
	fs.BoolFunc("input", "accepted for Terraform's habits: promptform never asks for variable values (-input=false changes nothing)", func(v string) error {
		_, err := strconv.ParseBool(v)
		return err
	})
	fs.BoolVar(&m.compact, "compact-warnings", false, "show warnings as one line each, errors in full")
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
	fs := pf.bind(m, "plan", "plan [-out=FILE] [-json] [-offline] [-replay] [-budget=USD] [-detailed-exitcode] [-target=ADDR]... [-exclude=ADDR]... [-replace=ADDR]... [-var NAME=VALUE]... [-var-file=FILE]...")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	out := fs.String("out", "", "save the plan to FILE, for apply FILE to run exactly it")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := newPlanView(pf.json, m.view())
	// plan locks a state that exists; where there is none yet, there is
	// nothing to protect, and a plan leaves no .promptform/ behind.
	_, err := os.Stat(filepath.Join(m.Dir, state.Dir))
	unlock, diags := m.lockIf(pf.lock && err == nil, "plan", pf.lockTimeout)
	if diags.HasErrors() {
		view.textDiags(diags)
		return 1
	}
	defer unlock()
	p, st, ok := m.makePlan(&pf, view)
	if !ok {
		return 1
	}
	view.plan(p)
	if _, ok := planBudget(&pf, p, view); !ok {
		return 1
	}
	if *out != "" {
		if err := m.savePlan(*out, p, st, &pf); err != nil {
			view.textDiags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot save the plan", Detail: err.Error()}})
			return 1
		}
		view.saved(*out)
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
		view.diags(diags)
		return nil, nil, false
	}
	vars, moreDiags := m.parser.CollectVariables(cfg, pf.vars.args, m.Environ())
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		view.diags(diags)
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
		view.diags(diags)
		return nil, nil, false
	}
	var catalogs map[*config.Gateway]*planner.Catalog
	if !pf.offline && !pf.replay {
		catalogs, moreDiags = m.catalogs(cfg, !pf.cachedCatalog)
		diags = append(diags, moreDiags...)
	}
	be, ws, moreDiags := m.stateBackend()
	diags = append(diags, moreDiags...)
	var answers state.Answers
	if be != nil && !pf.replay {
		answers = be.Answers()
	}
	p, moreDiags := planner.Build(cfg, planner.Options{
		Vars: vars, State: st, Catalogs: catalogs, Filter: filter, Context: m.ctx,
		Offline:   pf.offline || pf.replay, // replay re-uses whatever is recorded
		Workspace: ws, Answers: answers,
	})
	diags = append(diags, moreDiags...)
	if pf.replay && p != nil {
		diags = append(diags, notRecorded(p)...)
	}
	view.diags(diags)
	return p, st, !diags.HasErrors()
}

// maxListed is how many addresses a diagnostic lists before "and N more".
const maxListed = 50

// notRecorded is the error of -replay when some requests are not in the
// state: it names every step instance that would have to call a model.
func notRecorded(p *planner.Plan) hcl.Diagnostics {
	counts := p.Counts()
	n := counts[planner.Run] + counts[planner.Rerun]
	if n == 0 {
		return nil
	}
	var lines []string
	for _, c := range p.Changes {
		switch {
		case c.Action != planner.Run && c.Action != planner.Rerun:
		case len(lines) == maxListed:
			lines = append(lines, "  ...")
		case len(lines) < maxListed:
			lines = append(lines, fmt.Sprintf("  %s (%s)", c.Address, c.Reason))
		}
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Requests not recorded",
		Detail: fmt.Sprintf("-replay serves only responses recorded in the state, and %d step instance(s) would need a model call:\n%s\n\nRun apply without -replay to record them.",
			n, strings.Join(lines, "\n")),
	}}
}
