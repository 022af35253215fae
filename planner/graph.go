package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
)

// Node is a vertex of the dependency graph: a step (all its instances), a
// local value, an output or a check.
type Node struct {
	Addr  string // step.NAME, local.NAME, output.NAME or check.NAME after the module's prefix; module.a.var.NAME
	Kind  addrs.Kind
	Name  string
	Mod   *ModuleInstance // the module instance the node belongs to
	Refs  []*config.Ref
	Deps  []string // addresses of the nodes this one depends on, sorted
	Range hcl.Range
}

// newNode returns the node of kind and name declared at r in mi.
func newNode(mi *ModuleInstance, kind addrs.Kind, name string, r hcl.Range) *Node {
	return &Node{Addr: addrs.Node{Module: mi.Path, Kind: kind, Name: name}.String(), Kind: kind, Name: name, Mod: mi, Range: r}
}

// evalModule is the module instance whose scope evaluates the node's
// expressions: the caller's for a variable of a module, else its own.
func (n *Node) evalModule() *ModuleInstance {
	if n.Kind == KindVar {
		return n.Mod.Parent
	}
	return n.Mod
}

// Graph is the dependency graph of a configuration: the nodes of every
// module instance, which the graph's module tree lists.
type Graph struct {
	Nodes   map[string]*Node
	Order   []string          // topological: dependencies first, ties broken by address
	Modules []*ModuleInstance // the root module first, then every module instance, callers before callees
	// used holds the nodes that some other node depends on: the value of
	// a step no one uses need not be built.
	used map[string]bool
}

// Used reports whether some node depends on the node at addr.
func (g *Graph) Used(addr string) bool { return g.used[addr] }

// Root returns the root module's instance.
func (g *Graph) Root() *ModuleInstance { return g.Modules[0] }

// String lists the edges as "dependent -> dependency" lines, sorted.
func (g *Graph) String() string {
	var lines []string
	for _, addr := range slices.Sorted(maps.Keys(g.Nodes)) {
		for _, d := range g.Nodes[addr].Deps {
			lines = append(lines, addr+" -> "+d)
		}
	}
	return strings.Join(lines, "\n")
}

// Steps returns the step nodes in graph order.
func (g *Graph) Steps() []*Node {
	var out []*Node
	for _, a := range g.Order {
		if n := g.Nodes[a]; n.Kind == KindStep {
			out = append(out, n)
		}
	}
	return out
}

// BuildGraph expands the module tree (see ModuleInstance) with the root
// variables vars (nil: unknown, see expandModules), finds the references of every step, local, output,
// check and module variable, checks them, and orders the nodes. A cycle is
// one diagnostic naming every node in it. The graph is usable only when
// the diagnostics have no errors.
func BuildGraph(cfg *config.Config, vars map[string]cty.Value) (*Graph, hcl.Diagnostics) {
	mods, diags := expandModules(cfg, vars)
	g := &Graph{Nodes: map[string]*Node{}, Modules: mods}
	for _, mi := range mods {
		diags = append(diags, g.addModule(mi)...)
	}
	g.used = map[string]bool{}
	for _, addr := range slices.Sorted(maps.Keys(g.Nodes)) {
		diags = append(diags, g.connect(g.Nodes[addr])...)
		for _, d := range g.Nodes[addr].Deps {
			g.used[d] = true
		}
	}
	// Cycles are looked for even among bad references, over the edges that
	// are good, so that one run reports them all.
	if cycles := g.cycles(); len(cycles) > 0 {
		return g, append(mergeRepeated(diags), cycleDiags(g, cycles)...)
	}
	if !diags.HasErrors() {
		g.Order = g.topoOrder()
	}
	return g, mergeRepeated(diags)
}

// addModule adds the nodes of a module instance.
func (g *Graph) addModule(mi *ModuleInstance) hcl.Diagnostics {
	cfg := mi.Config
	var diags hcl.Diagnostics
	for _, name := range cfg.StepNames() {
		s := cfg.Steps[name]
		n := newNode(mi, KindStep, name, s.DeclRange)
		for _, e := range s.Exprs() {
			refs, d := exprRefs(e)
			n.Refs, diags = append(n.Refs, refs...), append(diags, d...)
		}
		if !s.Model.Static() && s.Model.Expr != nil {
			// A model named directly was checked with the configuration.
			n.Refs, diags = appendRefs(n.Refs, diags, s.Model.Expr)
		}
		for i := range s.DependsOn {
			n.Refs = append(n.Refs, &s.DependsOn[i])
		}
		for _, e := range s.ConditionExprs() {
			refs, d := exprRefs(e)
			diags = append(diags, d...)
			for _, r := range refs {
				if r.Type == config.RootSelf {
					diags = append(diags, checkSelfRef(r)...)
					continue
				}
				n.Refs = append(n.Refs, r)
			}
		}
		g.Nodes[n.Addr] = n
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Checks)) {
		c := cfg.Checks[name]
		n := newNode(mi, KindCheck, name, c.DeclRange)
		for _, e := range c.Exprs() {
			n.Refs, diags = appendRefs(n.Refs, diags, e)
		}
		g.Nodes[n.Addr] = n
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Locals)) {
		l := cfg.Locals[name]
		n := newNode(mi, KindLocal, name, l.DeclRange)
		n.Refs, diags = appendRefs(n.Refs, diags, l.Expr)
		g.Nodes[n.Addr] = n
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Outputs)) {
		o := cfg.Outputs[name]
		n := newNode(mi, KindOutput, name, o.DeclRange)
		for _, e := range o.Exprs() {
			n.Refs, diags = appendRefs(n.Refs, diags, e)
		}
		g.Nodes[n.Addr] = n
	}
	if mi.Call == nil {
		return diags
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Variables)) {
		n := newNode(mi, KindVar, name, cfg.Variables[name].DeclRange)
		if attr := mi.Call.Args[name]; attr != nil {
			n.Range = attr.Range
			n.Refs, diags = appendRefs(n.Refs, diags, attr.Expr)
		}
		g.Nodes[n.Addr] = n
	}
	return diags
}

func appendRefs(refs []*config.Ref, diags hcl.Diagnostics, e hcl.Expression) ([]*config.Ref, hcl.Diagnostics) {
	more, d := exprRefs(e)
	return append(refs, more...), append(diags, d...)
}

// exprRefs parses every traversal of an expression into a Ref.
func exprRefs(e hcl.Expression) ([]*config.Ref, hcl.Diagnostics) {
	var refs []*config.Ref
	var diags hcl.Diagnostics
	for _, t := range e.Variables() {
		ref, d := config.ParseRef(t)
		diags = append(diags, d...)
		if ref != nil {
			refs = append(refs, ref)
		}
	}
	return refs, diags
}

// connect checks a node's references and records its dependencies.
func (g *Graph) connect(n *Node) hcl.Diagnostics {
	var diags hcl.Diagnostics
	deps := map[string]bool{}
	em := n.evalModule()
	for _, ref := range n.Refs {
		d := checkRef(em.Config, n, ref)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		for _, addr := range refNodes(em, ref) {
			deps[addr] = true
		}
	}
	n.Deps = slices.Sorted(maps.Keys(deps))
	return diags
}

// refNodes returns the addresses of the graph nodes that a reference made
// in module instance mi names: a step, a local value, a variable of a
// module (the root's variables are no nodes) or the outputs of a module
// block. Other references (models, fallback chains, each, count, self)
// name no node.
func refNodes(mi *ModuleInstance, ref *config.Ref) []string {
	switch ref.Type {
	case config.RootStep, config.RootLocal:
		return []string{addrs.Node{Module: mi.Path, Kind: addrs.ParseKind(ref.Type), Name: ref.Name}.String()}
	case config.RootVar:
		if mi.Call != nil {
			return []string{addrs.Node{Module: mi.Path, Kind: KindVar, Name: ref.Name}.String()}
		}
	case config.RootModule:
		return moduleRefNodes(mi, ref)
	}
	return nil
}

// StepAttributes are the attributes a step exposes to later expressions.
var StepAttributes = []string{"output", "result", "tool_calls", "model", "finish_reason", "usage", "request_id", "asserts", "samples"}

func checkRef(cfg *config.Config, n *Node, ref *config.Ref) hcl.Diagnostics {
	switch ref.Type {
	case config.RootVar:
		return config.CheckDeclared(*ref, "input variable", cfg.Variables)
	case config.RootLocal:
		return config.CheckDeclared(*ref, "local value", cfg.Locals)
	case config.RootModel:
		return config.CheckDeclared(*ref, "model", cfg.Models)
	case config.RootFallback:
		return config.CheckDeclared(*ref, "fallback", cfg.Fallbacks)
	case config.RootModule:
		return checkModuleRef(cfg, ref)
	case config.RootPromptform:
		if ref.Name != "workspace" {
			return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported attribute",
				Detail: fmt.Sprintf("promptform has no attribute %q; its one attribute is workspace, the current workspace's name.", ref.Name), Subject: ref.SourceRange.Ptr()}}
		}
		return nil
	case config.RootEach, config.RootCount:
		return checkRepetitionRef(cfg, n, ref)
	case config.RootSelf:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference to self",
			Detail:   "self is the step being checked; it is available only in a step's postcondition blocks.",
			Subject:  ref.SourceRange.Ptr(),
		}}
	case config.RootStep:
		if d := config.CheckDeclared(*ref, "step", cfg.Steps); d != nil {
			return d
		}
		if n.Kind == KindStep && ref.Name == n.Name {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Self-referential step",
				Detail:   fmt.Sprintf("Step %q refers to itself; a step cannot use its own output.", n.Name),
				Subject:  ref.SourceRange.Ptr(),
			}}
		}
		return checkStepAttr(cfg.Steps[ref.Name], ref)
	}
	return nil
}

func checkRepetitionRef(cfg *config.Config, n *Node, ref *config.Ref) hcl.Diagnostics {
	var forEach, count hcl.Expression
	switch n.Kind {
	case KindStep:
		forEach, count = cfg.Steps[n.Name].ForEach, cfg.Steps[n.Name].Count
	case KindVar:
		forEach, count = n.Mod.Call.ForEach, n.Mod.Call.Count
	}
	valid := ref.Type == config.RootEach && (ref.Name == "key" || ref.Name == "value") ||
		ref.Type == config.RootCount && ref.Name == "index"
	inScope := ref.Type == config.RootEach && forEach != nil || ref.Type == config.RootCount && count != nil
	switch {
	case !valid:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   "Use each.key, each.value or count.index.",
			Subject:  ref.SourceRange.Ptr(),
		}}
	case !inScope:
		what := "for_each"
		if ref.Type == config.RootCount {
			what = "count"
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Reference to %q in context without %s", ref.Type, what),
			Detail:   fmt.Sprintf("%s.%s can be used only inside a step or module block that sets %s.", ref.Type, ref.Name, what),
			Subject:  ref.SourceRange.Ptr(),
		}}
	}
	return nil
}

// checkSelfRef checks self.ATTRIBUTE in a postcondition.
func checkSelfRef(ref *config.Ref) hcl.Diagnostics {
	for _, a := range StepAttributes {
		if a == ref.Name {
			return nil
		}
	}
	detail := fmt.Sprintf("A step has no attribute named %q.", ref.Name)
	if sug := config.NameSuggestion(ref.Name, StepAttributes); sug != "" {
		detail += fmt.Sprintf(" Did you mean %q?", sug)
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported attribute", Detail: detail, Subject: ref.SourceRange.Ptr()}}
}

// checkStepAttr checks the instance key and the first attribute of a
// reference to a step.
func checkStepAttr(s *config.Step, ref *config.Ref) hcl.Diagnostics {
	instanced := s.ForEach != nil || s.Count != nil
	errAt := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: ref.SourceRange.Ptr()}}
	}
	if ref.Key != cty.NilVal && !instanced {
		return errAt("Unexpected step instance key",
			fmt.Sprintf("Step %q has no for_each or count, so it has no instances; refer to it as %s.ATTRIBUTE.", s.Name, config.RootStep+"."+s.Name))
	}
	if len(ref.Remaining) == 0 {
		return nil
	}
	attr, ok := ref.Remaining[0].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	if instanced && ref.Key == cty.NilVal {
		return errAt("Missing step instance key",
			fmt.Sprintf("Step %q has for_each or count, so its attributes belong to its instances: %s[KEY].%s.", s.Name, config.RootStep+"."+s.Name, attr.Name))
	}
	for _, a := range StepAttributes {
		if a == attr.Name {
			return nil
		}
	}
	detail := fmt.Sprintf("A step has no attribute named %q.", attr.Name)
	if sug := config.NameSuggestion(attr.Name, StepAttributes); sug != "" {
		detail += fmt.Sprintf(" Did you mean %q?", sug)
	} else {
		detail += " Its attributes are " + strings.Join(StepAttributes, ", ") + "."
	}
	return errAt("Unsupported attribute", detail)
}
