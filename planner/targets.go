package planner

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
)

// Selector is a step address given on the command line: step.NAME (all its
// instances) or step.NAME["key"] / step.NAME[0] (one instance), with the
// text as given, which messages quote.
type Selector struct {
	addrs.Target
	Text string
}

// ParseSelector reads a -target, -exclude or -replace address, or one that
// a state subcommand takes (see addrs.ParseTarget). Modules do not exist
// yet, so an address in one is an error too.
func ParseSelector(s string) (Selector, error) {
	t, err := addrs.ParseTarget(s)
	if err != nil {
		return Selector{}, err
	}
	if !t.Step.Module.IsRoot() {
		return Selector{}, fmt.Errorf("%q is not a step address: modules are not supported yet; use step.NAME or step.NAME[\"key\"]", s)
	}
	return Selector{Target: t, Text: s}, nil
}

// Filter limits a run to some steps: the targets and what they depend on,
// less the excluded steps and what depends on them. The zero Filter selects
// everything.
type Filter struct {
	Targets  []Selector
	Excludes []Selector
	Replace  []Selector

	nodes map[string]bool // graph nodes that run; nil: all
}

// Active reports whether the filter selects less than everything.
func (f *Filter) Active() bool { return f != nil && (len(f.Targets) > 0 || len(f.Excludes) > 0) }

// check reports selectors that name no declared step.
func (f *Filter) check(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			if _, ok := cfg.Steps[s.Step.Name]; ok {
				continue
			}
			detail := fmt.Sprintf("%s names no declared step.", s.Text)
			if sug := config.NameSuggestion(s.Step.Name, cfg.StepNames()); sug != "" {
				detail += fmt.Sprintf(" Did you mean %s?", addrs.Step{Name: sug})
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address", Detail: detail})
		}
	}
	return diags
}

// checkKeys reports selectors with an instance key or a sample index that
// names no instance of the steps that were planned.
func (f *Filter) checkKeys(cfg *config.Config, planned []Addr) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			step := cfg.Steps[s.Step.Name]
			if s.Whole() || step == nil {
				continue
			}
			keyed := step.ForEach != nil || step.Count != nil
			switch {
			case s.Key != addrs.NoKey && !keyed:
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names an instance, but %s has no for_each or count; use %s.", s.Text, s.Step, s.Step)})
				continue
			case s.Key == addrs.NoKey && keyed:
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names a sample without an instance, but %s has for_each or count; name one instance, as in %s[\"key\"]#%d.", s.Text, s.Step, s.Step, s.Sample)})
				continue
			case s.Sampled && step.Repeat == nil:
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names a sample, but %s has no repeat: it has one answer per instance.", s.Text, s.Step)})
				continue
			}
			planned := slices.ContainsFunc(planned, s.Matches)
			if !planned && f.Runs(s.Step.String()) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names no instance of %s; promptform plan lists them.", s.Text, s.Step)})
			}
		}
	}
	return diags
}

// checkReplace warns about -replace addresses that the selection leaves
// out: they would have no effect.
func (f *Filter) checkReplace() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, r := range f.Replace {
		if !f.Runs(r.Step.String()) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Replaced step not selected",
				Detail: fmt.Sprintf("-replace=%s has no effect: -target and -exclude leave that step out.", r.Text)})
		}
	}
	return diags
}

// resolve computes the graph nodes that run.
func (f *Filter) resolve(g *Graph) {
	if !f.Active() {
		return
	}
	f.nodes = map[string]bool{}
	if len(f.Targets) == 0 {
		for addr := range g.Nodes {
			f.nodes[addr] = true
		}
	}
	for _, t := range f.Targets {
		g.addWithDeps(t.Step.String(), f.nodes)
	}
	dependents := g.dependents()
	for _, e := range f.Excludes {
		if e.Whole() {
			removeWithDependents(e.Step.String(), f.nodes, dependents)
			continue
		}
		for _, d := range dependents[e.Step.String()] {
			removeWithDependents(d, f.nodes, dependents)
		}
	}
	// Outputs and checks run when every step they use runs, with the
	// locals between; with -target, that holds for the outputs of the
	// targets (and for those that use no step at all).
	for addr, n := range g.Nodes {
		if n.Kind != KindOutput && n.Kind != KindCheck {
			continue
		}
		used := map[string]bool{}
		for _, d := range n.Deps {
			g.addWithDeps(d, used)
		}
		runs := true
		for d := range used {
			if g.Nodes[d].Kind == KindStep && !f.nodes[d] || len(f.Targets) == 0 && !f.nodes[d] {
				runs = false
			}
		}
		if f.nodes[addr] = runs; runs {
			for d := range used {
				f.nodes[d] = true
			}
		}
	}
}

func (g *Graph) addWithDeps(addr string, set map[string]bool) {
	if set[addr] || g.Nodes[addr] == nil {
		return
	}
	set[addr] = true
	for _, d := range g.Nodes[addr].Deps {
		g.addWithDeps(d, set)
	}
	// Outputs and checks on the targets are decided in resolve.
}

func (g *Graph) dependents() map[string][]string {
	out := map[string][]string{}
	for addr, n := range g.Nodes {
		for _, d := range n.Deps {
			out[d] = append(out[d], addr)
		}
	}
	return out
}

func removeWithDependents(addr string, set map[string]bool, dependents map[string][]string) {
	if !set[addr] {
		return
	}
	delete(set, addr)
	for _, d := range dependents[addr] {
		removeWithDependents(d, set, dependents)
	}
}

// Runs reports whether the graph node at addr runs.
func (f *Filter) Runs(addr string) bool {
	return f.nodes == nil || f.nodes[addr]
}

// RunsInstance reports whether an instance runs: its step runs, it is not
// excluded by key, and when its step is targeted by key, it is that one.
func (f *Filter) RunsInstance(a Addr) bool {
	if !f.Runs(a.Step.String()) {
		return false
	}
	for _, e := range f.Excludes {
		if !e.Whole() && e.Matches(a) {
			return false
		}
	}
	keyed := false
	for _, t := range f.Targets {
		if !t.Step.Equal(a.Step) {
			continue
		}
		if t.Whole() || t.Matches(a) {
			return true
		}
		keyed = true
	}
	return !keyed
}

// Replaced reports whether -replace names the instance.
func (f *Filter) Replaced(a Addr) bool {
	return slices.ContainsFunc(f.Replace, func(s Selector) bool { return s.Matches(a) })
}
