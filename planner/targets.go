package planner

import (
	"fmt"
	"maps"
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
// a state subcommand takes (see addrs.ParseTarget): a step, an instance or
// a module.
func ParseSelector(s string) (Selector, error) {
	t, err := addrs.ParseTarget(s)
	if err != nil {
		return Selector{}, err
	}
	return Selector{Target: t, Text: s}, nil
}

// selectsNode reports whether the selector names the graph node n, or (a
// module address) holds it: a module address holds every step of the
// module and of the modules it calls.
func (s Selector) selectsNode(n *Node) bool {
	if s.IsModule() {
		return n.Kind == KindStep && n.Mod.Path.Within(s.Step.Module)
	}
	return n.Kind == KindStep && n.Name == s.Step.Name && len(n.Mod.Path) == len(s.Step.Module) && n.Mod.Path.Within(s.Step.Module)
}

// selectsStep reports whether the selector names the step a, or holds it.
func (s Selector) selectsStep(a addrs.Step) bool {
	if s.IsModule() {
		return a.Module.Within(s.Step.Module)
	}
	return a.Name == s.Step.Name && len(a.Module) == len(s.Step.Module) && a.Module.Within(s.Step.Module)
}

// nodes returns the addresses of the graph nodes the selector names.
func (s Selector) nodes(g *Graph) []string {
	var out []string
	for addr, n := range g.Nodes {
		if s.selectsNode(n) {
			out = append(out, addr)
		}
	}
	slices.Sort(out)
	return out
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

// check reports selectors that name no declared step or module.
func (f *Filter) check(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			if d := checkSelector(cfg, s); d != nil {
				diags = append(diags, d)
			}
		}
	}
	return diags
}

// checkSelector reports a selector whose module path or step is not
// declared.
func checkSelector(cfg *config.Config, s Selector) *hcl.Diagnostic {
	mod := cfg
	for i, call := range s.Step.Module {
		child := mod.Child(call.Name)
		if child == nil {
			detail := fmt.Sprintf("%s names no declared module: %s declares no module %q.", s.Text, moduleName(s.Step.Module[:i]), call.Name)
			if sug := config.NameSuggestion(call.Name, slices.Sorted(maps.Keys(mod.Modules))); sug != "" {
				detail += fmt.Sprintf(" Did you mean %q?", sug)
			}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown module address", Detail: detail}
		}
		mod = child
	}
	if s.IsModule() {
		return nil
	}
	if _, ok := mod.Steps[s.Step.Name]; ok {
		return nil
	}
	detail := fmt.Sprintf("%s names no declared step.", s.Text)
	if sug := config.NameSuggestion(s.Step.Name, mod.StepNames()); sug != "" {
		detail += fmt.Sprintf(" Did you mean %s?", addrs.Step{Module: s.Step.Module, Name: sug})
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown step address", Detail: detail}
}

// moduleName names a module path in a message: "the root module" or its
// address.
func moduleName(m addrs.Module) string {
	if m.IsRoot() {
		return "the root module"
	}
	return m.String()
}

// checkKeys reports selectors with an instance key or a sample index that
// names no instance of the steps that were planned.
func (f *Filter) checkKeys(g *Graph, planned []Addr) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, list := range [][]Selector{f.Targets, f.Excludes, f.Replace} {
		for _, s := range list {
			if !slices.ContainsFunc(g.Modules, func(mi *ModuleInstance) bool { return mi.Path.Within(s.Step.Module) }) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown module address",
					Detail: fmt.Sprintf("%s names no instance of a module; promptform plan lists them.", s.Text)})
				continue
			}
			var step *config.Step
			if mod := g.Root().Config.Child(s.Step.Module.Calls()...); mod != nil {
				step = mod.Steps[s.Step.Name]
			}
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
		if !r.IsModule() && !f.Runs(r.Step.String()) {
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
		for _, addr := range t.nodes(g) {
			g.addWithDeps(addr, f.nodes)
		}
	}
	dependents := g.dependents()
	for _, e := range f.Excludes {
		for _, addr := range e.nodes(g) {
			if e.Whole() {
				removeWithDependents(addr, f.nodes, dependents)
				continue
			}
			for _, d := range dependents[addr] {
				removeWithDependents(d, f.nodes, dependents)
			}
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
		if !t.selectsStep(a.Step) {
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
