package planner

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
)

// Selector is a step address given on the command line: step.NAME (all its
// instances) or step.NAME["key"] / step.NAME[0] (one instance).
type Selector struct {
	Step string
	Key  cty.Value // cty.NilVal: every instance
	Text string
}

// ParseSelector reads a -target, -exclude or -replace address.
func ParseSelector(s string) (Selector, error) {
	t, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	bad := fmt.Errorf("%q is not a step address; use step.NAME or step.NAME[\"key\"]", s)
	if diags.HasErrors() || len(t) < 2 || len(t) > 3 || t.RootName() != config.RootStep {
		return Selector{}, bad
	}
	attr, ok := t[1].(hcl.TraverseAttr)
	if !ok {
		return Selector{}, bad
	}
	sel := Selector{Step: attr.Name, Text: s}
	if len(t) == 3 {
		idx, ok := t[2].(hcl.TraverseIndex)
		if !ok {
			return Selector{}, bad
		}
		sel.Key = idx.Key
	}
	return sel, nil
}

// matches reports whether the selector names the instance at addr.
func (s Selector) matches(a Addr) bool {
	if a.Step != s.Step {
		return false
	}
	if s.Key == cty.NilVal {
		return true
	}
	return a.Key != cty.NilVal && a.Key.Type().Equals(s.Key.Type()) && a.Key.Equals(s.Key).True()
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
func (f *Filter) Active() bool { return len(f.Targets) > 0 || len(f.Excludes) > 0 }

// check reports selectors that name no declared step.
func (f *Filter) check(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			if _, ok := cfg.Steps[s.Step]; ok {
				continue
			}
			detail := fmt.Sprintf("%s names no declared step.", s.Text)
			if sug := config.NameSuggestion(s.Step, cfg.StepNames()); sug != "" {
				detail += fmt.Sprintf(" Did you mean step.%s?", sug)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address", Detail: detail})
		}
	}
	return diags
}

// checkKeys reports selectors with an instance key that names no instance
// of the steps that were planned.
func (f *Filter) checkKeys(cfg *config.Config, planned []Addr) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			step := cfg.Steps[s.Step]
			if s.Key == cty.NilVal || step == nil {
				continue
			}
			if step.ForEach == nil && step.Count == nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names an instance, but step.%s has no for_each or count; use step.%s.", s.Text, s.Step, s.Step)})
				continue
			}
			planned := slices.ContainsFunc(planned, s.matches)
			if !planned && f.Runs("step."+s.Step) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address",
					Detail: fmt.Sprintf("%s names no instance of step.%s; promptform plan lists them.", s.Text, s.Step)})
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
		if !f.Runs("step." + r.Step) {
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
		g.addWithDeps("step."+t.Step, f.nodes)
	}
	dependents := g.dependents()
	for _, e := range f.Excludes {
		if e.Key == cty.NilVal {
			removeWithDependents("step."+e.Step, f.nodes, dependents)
			continue
		}
		for _, d := range dependents["step."+e.Step] {
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
	if !f.Runs("step." + a.Step) {
		return false
	}
	for _, e := range f.Excludes {
		if e.Key != cty.NilVal && e.matches(a) {
			return false
		}
	}
	keyed := false
	for _, t := range f.Targets {
		if t.Step != a.Step {
			continue
		}
		if t.Key == cty.NilVal || t.matches(a) {
			return true
		}
		keyed = true
	}
	return !keyed
}

// Replaced reports whether -replace names the instance.
func (f *Filter) Replaced(a Addr) bool {
	return slices.ContainsFunc(f.Replace, func(s Selector) bool { return s.matches(a) })
}
