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

// ModuleInstance is one instance of a module: the root module, or one
// instance of a module block (one per for_each key or count index). Its
// for_each and count are evaluated when the graph is built, so they must
// be known then: they may use variables and locals, never a step.
type ModuleInstance struct {
	Path   addrs.Module
	Config *config.Config
	Call   *config.ModuleCall // nil for the root module
	Parent *ModuleInstance    // nil for the root module
	Rep    Repetition         // each and count of the call's instance
	// Vars are the values of the module's variables as far as they are
	// known before any step runs: unknown where they depend on a step.
	// Model blocks, for_each and count of calls, and the first scope of a
	// walk use them; the walk sets the final ones (KindVar nodes).
	Vars map[string]cty.Value
	// Children are the instances of each module block, by call name,
	// sorted by key.
	Children map[string][]*ModuleInstance
}

// Prefix is the start of the addresses in the module: "" for the root,
// module.a["k"]. inside one. Blocks of a module are keyed by it in the
// plan's maps of models, schemas, tools and fallback chains.
func (m *ModuleInstance) Prefix() string { return m.Path.Prefix() }

// ModuleOf returns the module instance at a path, or nil.
func (g *Graph) ModuleOf(path addrs.Module) *ModuleInstance {
	for _, m := range g.Modules {
		if m.Path.Equal(path) {
			return m
		}
	}
	return nil
}

// maxModuleDepth bounds nesting; sources that call themselves are found
// when the configuration is loaded, so this only stops runaway for_each
// trees built by hand.
const maxModuleDepth = 32

// expandModules builds the tree of module instances from the root
// configuration: for_each and count of every module block evaluated with
// the variables and the locals that need no step, the arguments of each
// instance evaluated as far as they are known, and the arguments checked
// against the child's variables (once per module block).
//
// With vars nil, the variables are unknown, and a module block whose
// for_each or count cannot be known without them has no instances: that
// is for analysis without values, which reports no error for it.
func expandModules(cfg *config.Config, vars map[string]cty.Value) ([]*ModuleInstance, hcl.Diagnostics) {
	analysis := vars == nil
	if analysis {
		vars = map[string]cty.Value{}
		for name, v := range cfg.Variables {
			vars[name] = cty.UnknownVal(v.Type)
		}
	}
	root := &ModuleInstance{Config: cfg, Vars: vars, Children: map[string][]*ModuleInstance{}}
	all := []*ModuleInstance{root}
	var diags hcl.Diagnostics
	checked := map[*config.ModuleCall]bool{}
	for i := 0; i < len(all); i++ {
		mi := all[i]
		if len(mi.Path) >= maxModuleDepth {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Modules nested too deeply",
				Detail: fmt.Sprintf("%s is %d modules deep; at most %d are allowed.", mi.Path, len(mi.Path), maxModuleDepth), Subject: mi.Call.DeclRange.Ptr()})
			continue
		}
		if len(mi.Config.Modules) == 0 {
			continue
		}
		ctx := staticContext(mi, !analysis) // locals are evaluated once more by the walk: only for callers
		for _, name := range slices.Sorted(maps.Keys(mi.Config.Modules)) {
			call, child := mi.Config.Modules[name], mi.Config.Children[name]
			if child == nil {
				continue // loading reported why
			}
			if !checked[call] {
				checked[call] = true
				diags = append(diags, checkModuleArgs(call, child)...)
			}
			keys := []keyed{{key: addrs.NoKey}}
			if call.ForEach != nil || call.Count != nil {
				var d hcl.Diagnostics
				keys, d = repetitions(call.ForEach, call.Count, ctx)
				if !analysis {
					diags = append(diags, d...)
				}
			}
			for _, k := range keys {
				path := append(slices.Clip(mi.Path), addrs.ModuleCall{Name: name, Key: k.key})
				ci := &ModuleInstance{Path: path, Config: child, Call: call, Parent: mi, Rep: k.rep, Children: map[string][]*ModuleInstance{}}
				ci.Vars = staticArgs(ci, ctx)
				mi.Children[name] = append(mi.Children[name], ci)
				all = append(all, ci)
			}
		}
	}
	return all, diags
}

// checkModuleArgs reports arguments of a module block that name no
// variable of the child, and required variables it leaves unset.
func checkModuleArgs(call *config.ModuleCall, child *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(call.Args)) {
		if _, ok := child.Variables[name]; ok {
			continue
		}
		attr := call.Args[name]
		detail := fmt.Sprintf("The module %q (%s) declares no variable named %q.", call.Name, child.Dir, name)
		if s := config.NameSuggestion(name, slices.Sorted(maps.Keys(child.Variables))); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: detail, Subject: attr.NameRange.Ptr()})
	}
	for _, name := range slices.Sorted(maps.Keys(child.Variables)) {
		if v := child.Variables[name]; v.Required() && call.Args[name] == nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing required argument",
				Detail:  fmt.Sprintf("The module %q needs a value for its variable %q, which has no default (declared at %s).", call.Name, name, v.DeclRange),
				Subject: call.DeclRange.Ptr()})
		}
	}
	return diags
}

// staticContext is the context of what a module instance knows before any
// step runs: its variables as known, its locals that use no step (with
// withLocals; else every local is unknown, for analysis that evaluates
// nothing expensive), its model and fallback values, and the functions of
// its directory.
func staticContext(mi *ModuleInstance, withLocals bool) *hcl.EvalContext {
	s := newModuleScope(mi, nil)
	ctx := s.VarContext()
	locals := map[string]cty.Value{}
	var eval func(name string, seen map[string]bool) cty.Value
	eval = func(name string, seen map[string]bool) cty.Value {
		if v, ok := locals[name]; ok {
			return v
		}
		l := mi.Config.Locals[name]
		if l == nil || seen[name] {
			return cty.DynamicVal
		}
		seen[name] = true
		refs, _ := exprRefs(l.Expr)
		vals := map[string]cty.Value{}
		for _, r := range refs {
			switch r.Type {
			case config.RootStep, config.RootModule:
				locals[name] = cty.DynamicVal
				return cty.DynamicVal
			case config.RootLocal:
				vals[r.Name] = eval(r.Name, seen)
			}
		}
		c := ctx.NewChild()
		c.Variables = map[string]cty.Value{config.RootLocal: cty.ObjectVal(vals)}
		for root, v := range s.namedValues(refs) {
			c.Variables[root] = v
		}
		v, diags := l.Expr.Value(c)
		if diags.HasErrors() {
			v = cty.DynamicVal
		}
		locals[name] = v
		return v
	}
	for _, name := range slices.Sorted(maps.Keys(mi.Config.Locals)) {
		if !withLocals {
			locals[name] = cty.DynamicVal
			continue
		}
		eval(name, map[string]bool{})
	}
	out := ctx.NewChild()
	// Steps and module outputs are not known before any step runs.
	out.Variables = map[string]cty.Value{config.RootLocal: cty.ObjectVal(locals), config.RootStep: cty.DynamicVal, config.RootModule: cty.DynamicVal}
	for root, v := range s.namedValues(nil) {
		out.Variables[root] = v
	}
	return out
}

// staticArgs evaluates the arguments of a module instance in its caller's
// static context: the values its variables have as far as they are known
// before any step runs. An argument that cannot be evaluated yet is
// unknown; the walk reports what is wrong with it.
func staticArgs(ci *ModuleInstance, parent *hcl.EvalContext) map[string]cty.Value {
	ctx := parent.NewChild()
	ctx.Variables = repetitionVars(ci.Rep)
	vars := map[string]cty.Value{}
	for name, decl := range ci.Config.Variables {
		attr := ci.Call.Args[name]
		if attr == nil {
			vars[name] = valueOr(decl.Default, cty.DynamicVal)
			continue
		}
		v, diags := attr.Expr.Value(ctx)
		if diags.HasErrors() {
			vars[name] = cty.UnknownVal(decl.Type)
			continue
		}
		if conv, err := config.Convert(v, decl.Type); err == nil {
			v = conv
		} else {
			v = cty.UnknownVal(decl.Type)
		}
		vars[name] = v
	}
	return vars
}

// repetitionVars returns each and count as an evaluation context holds
// them for rep.
func repetitionVars(rep Repetition) map[string]cty.Value {
	vars := map[string]cty.Value{}
	if rep.EachKey != cty.NilVal {
		vars[config.RootEach] = cty.ObjectVal(map[string]cty.Value{"key": rep.EachKey, "value": rep.EachValue})
	}
	if rep.CountIndex != cty.NilVal {
		vars[config.RootCount] = cty.ObjectVal(map[string]cty.Value{"index": rep.CountIndex})
	}
	return vars
}

// varNode is a variable of a module instance: the argument of its module
// block, evaluated in the calling module with the call's each or count,
// converted to the variable's type.
type varNode struct{ *Node }

// Eval sets the variable in the module's scope.
func (n varNode) Eval(w *Walk) hcl.Diagnostics {
	mi := n.Mod
	decl := mi.Config.Variables[n.Name]
	attr := mi.Call.Args[n.Name]
	v := valueOr(decl.Default, cty.DynamicVal)
	var diags hcl.Diagnostics
	if attr != nil {
		parent := w.ScopeOf(mi.Parent)
		ctx := parent.EvalContext(n.Refs, mi.Rep)
		v, diags = attr.Expr.Value(ctx)
		if !diags.HasErrors() && !v.IsKnown() && !decl.Sensitive && (v.Type() == cty.String || v.Type() == cty.DynamicPseudoType) {
			w.ScopeOf(mi).SetVarDisplay(n.Name, displaySegments(attr.Expr, v, ctx, false, parent.VarDisplays()))
		}
		if !diags.HasErrors() {
			var d *hcl.Diagnostic
			v, d = w.Plan.moduleArg(mi, decl, attr, v)
			if d != nil {
				diags = append(diags, d)
			}
		}
		if !diags.HasErrors() && v.IsWhollyKnown() {
			diags = append(diags, validateArg(mi, decl, v)...)
		}
		if diags.HasErrors() {
			v = cty.UnknownVal(decl.Type)
		}
	}
	if decl.Sensitive {
		v = v.Mark(Sensitive)
	}
	w.ScopeOf(mi).SetVar(n.Name, v)
	return diags
}

// moduleArg converts the value of a module block's argument to its
// variable's type: a variable of type model takes a model or fallback
// value only.
func (p *Plan) moduleArg(mi *ModuleInstance, decl *config.Variable, attr *hcl.Attribute, v cty.Value) (cty.Value, *hcl.Diagnostic) {
	where := fmt.Sprintf("variable %q of %s", decl.Name, mi.Path)
	if decl.Model {
		if !v.IsWhollyKnown() {
			return v, exprDiag(attr.Expr, "Invalid value for module variable",
				fmt.Sprintf("The %s has type model, so its value must be known when the plan is made: a model or fallback reference such as model.fast.", where))
		}
		uv, _ := v.UnmarkDeep()
		if kind, name, ok := modelValueParts(uv); ok && p.declared(kind, name) {
			return v, nil
		}
		return v, exprDiag(attr.Expr, "Invalid value for module variable",
			fmt.Sprintf("The %s has type model: give it a model or fallback reference such as model.fast, not a %s.", where, v.Type().FriendlyName()))
	}
	conv, err := config.Convert(v, decl.Type)
	if err != nil {
		return v, exprDiag(attr.Expr, "Invalid value for module variable",
			fmt.Sprintf("The value for %s is not suitable: %s.", where, err))
	}
	return conv, nil
}

// modelValueParts reads the kind and name of a model value (see ModelVal).
func modelValueParts(v cty.Value) (kind, name string, ok bool) {
	if v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().Equals(ModelType) {
		return "", "", false
	}
	k, n := v.GetAttr("type"), v.GetAttr("name")
	if !k.IsKnown() || k.IsNull() || !n.IsKnown() || n.IsNull() {
		return "", "", false
	}
	return k.AsString(), n.AsString(), true
}

// checkModuleRef checks a reference to a module block, module.NAME,
// module.NAME[KEY] or module.NAME[KEY].OUTPUT, made in cfg.
func checkModuleRef(cfg *config.Config, ref *config.Ref) hcl.Diagnostics {
	if d := config.CheckDeclared(*ref, "module", cfg.Modules); d != nil {
		return d
	}
	call, child := cfg.Modules[ref.Name], cfg.Children[ref.Name]
	if child == nil {
		return nil // loading reported why
	}
	errAt := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: ref.SourceRange.Ptr()}}
	}
	instanced := call.ForEach != nil || call.Count != nil
	if ref.Key != cty.NilVal && !instanced {
		return errAt("Unexpected module instance key",
			fmt.Sprintf("The module %q has no for_each or count, so it has no instances; refer to it as module.%s.OUTPUT.", ref.Name, ref.Name))
	}
	if len(ref.Remaining) == 0 {
		return nil
	}
	attr, ok := ref.Remaining[0].(hcl.TraverseAttr)
	if !ok {
		return nil
	}
	if instanced && ref.Key == cty.NilVal {
		return errAt("Missing module instance key",
			fmt.Sprintf("The module %q has for_each or count, so its outputs belong to its instances: module.%s[KEY].%s.", ref.Name, ref.Name, attr.Name))
	}
	if _, ok := child.Outputs[attr.Name]; ok {
		return nil
	}
	detail := fmt.Sprintf("The module %q (%s) declares no output named %q.", ref.Name, child.Dir, attr.Name)
	if s := config.NameSuggestion(attr.Name, slices.Sorted(maps.Keys(child.Outputs))); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	} else if len(child.Outputs) > 0 {
		detail += " Its outputs are " + strings.Join(slices.Sorted(maps.Keys(child.Outputs)), ", ") + "."
	}
	return errAt("Reference to undeclared output", detail)
}

// moduleRefNodes returns the output nodes a reference to a module block
// made in mi depends on: the output it names, of the instance it names,
// or every output of every instance.
func moduleRefNodes(mi *ModuleInstance, ref *config.Ref) []string {
	var out []string
	var only string
	call := mi.Config.Modules[ref.Name]
	if attr, ok := firstAttr(ref.Remaining); ok && call != nil && (ref.Key != cty.NilVal || call.ForEach == nil && call.Count == nil) {
		only = attr
	}
	for _, ci := range mi.Children[ref.Name] {
		if ref.Key != cty.NilVal && !addrs.KeysEqual(ci.Path[len(ci.Path)-1].Key, ref.Key) {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(ci.Config.Outputs)) {
			if only == "" || name == only {
				out = append(out, addrs.Node{Module: ci.Path, Kind: KindOutput, Name: name}.String())
			}
		}
	}
	return out
}

// firstAttr returns the attribute name that starts a traversal, if one
// does.
func firstAttr(t hcl.Traversal) (string, bool) {
	if len(t) == 0 {
		return "", false
	}
	attr, ok := t[0].(hcl.TraverseAttr)
	return attr.Name, ok
}

// validateArg runs the validation blocks of a module's variable on the
// value its module block gives it: a failure is located at the condition,
// in the module's files.
func validateArg(mi *ModuleInstance, decl *config.Variable, v cty.Value) hcl.Diagnostics {
	if len(decl.Validations) == 0 {
		return nil
	}
	if decl.Sensitive {
		v = v.Mark(Sensitive) // keeps the value out of the diagnostic's "with ..." lines
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{config.RootVar: cty.ObjectVal(map[string]cty.Value{decl.Name: v})},
		Functions: config.Functions(mi.Config.Dir),
	}
	var diags hcl.Diagnostics
	for _, vd := range decl.Validations {
		diags = append(diags, vd.Check(ctx)...)
	}
	for _, d := range diags {
		d.Detail = fmt.Sprintf("%s (the value of var.%s in %s).", strings.TrimSuffix(d.Detail, "."), decl.Name, mi.Path)
	}
	return diags
}
