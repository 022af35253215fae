package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
)

// MovedRecord is one recorded instance a move carries to a new address:
// its old address, and the record under the new one.
type MovedRecord struct {
	From string
	Rec  *state.Step
	// Block is the from and to of the moved block (of the first and last
	// link of a chain) that carried it, as written; empty for state mv.
	Block [2]string
}

// MoveRecords returns the records of st that from names, each re-addressed
// under to, in address order; none when from names nothing recorded. A
// whole step moves every instance, keeping its key, to another whole step;
// a whole step moved to an instance (step.a to step.a[0], when count is
// added) moves its keyless records; an instance moved to a whole step
// loses its key. Every sample of an instance moves with it. A module moves
// every record in it, and in the modules it calls (see moveModuleRecords).
// The records of st are not changed.
func MoveRecords(st *state.State, from, to addrs.Target) []MovedRecord {
	if from.IsModule() {
		return moveModuleRecords(st, from, to)
	}
	var out []MovedRecord
	var candidates []string // the records of from's step, in address order
	for addr, rec := range st.Steps {
		if rec != nil && rec.Name == from.Step.Name && recordOf(addr, from.Step) {
			candidates = append(candidates, addr)
		}
	}
	slices.Sort(candidates)
	for _, addr := range candidates {
		rec := st.Steps[addr]
		key, ok := addrs.KeyFromJSON(rec.Key)
		if !ok {
			continue
		}
		oldKey := key
		switch {
		case from.Key == addrs.NoKey && to.Key == addrs.NoKey:
		case from.Key == addrs.NoKey:
			if key != addrs.NoKey {
				continue
			}
			key = to.Key
		case key == addrs.NoKey || !from.Matches(from.Step.Instance(key)):
			continue
		default:
			key = to.Key
		}
		moved := *rec
		inst := addrs.StepInstance{Step: to.Step, Key: key, Sample: rec.Sample}
		if !addrs.KeysEqual(key, oldKey) {
			moved.Each = nil // the new key's each.value is the configuration's, recorded at its next run
		}
		moved.Address, moved.Name, moved.Key = inst.String(), to.Step.Name, inst.KeyJSON()
		out = append(out, MovedRecord{From: addr, Rec: &moved})
	}
	return out
}

// applyMoves carries the records that the configuration's moved blocks
// name to their new addresses, in a copy of st, and returns it with the
// moves made. A chain (a to b, then b to c) is followed to its end; a move
// whose destination is recorded already is not made, with a warning. A
// moved block whose from is still declared, blocks whose froms overlap or
// that move to one address twice, and circles are errors. Moves are made
// by plans of the whole configuration: with -target or -exclude (filtered)
// a move still to be made is an error, since part of the configuration
// cannot tell whether its from is still declared.
func applyMoves(cfg *config.Config, st *state.State, filtered bool) (*state.State, []MovedRecord, hcl.Diagnostics) {
	if len(cfg.Moved) == 0 {
		return st, nil, nil
	}
	diags := checkMoved(cfg)
	if diags.HasErrors() {
		return st, nil, diags
	}
	out := *st
	out.Steps = maps.Clone(st.Steps)
	var moves []MovedRecord
	at := map[string]int{} // where a record moved in this plan is in moves, by its new address
	for _, mv := range chainOrder(cfg.Moved) {
		recs := MoveRecords(&out, mv.From, mv.To)
		if len(recs) > 0 && filtered {
			return st, nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Moves not applied yet",
				Detail:  fmt.Sprintf("This moved block has records to move (%s first), and -target or -exclude plan only part of the configuration. Apply once without them: the moves are recorded without a call.", recs[0].From),
				Subject: mv.DeclRange.Ptr()})
		}
		diags = append(diags, unmovedKeys(&out, mv)...)
		if len(recs) > 0 && !declared(cfg, mv.To) {
			what := "step"
			if mv.To.IsModule() {
				what = "module"
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Moved to an undeclared " + what,
				Detail:  fmt.Sprintf("This moved block moves records to %s, which the configuration does not declare: the plan drops them.", mv.To),
				Subject: mv.ToRange.Ptr()})
		}
		for _, r := range recs {
			if out.Steps[r.Rec.Address] != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Moved object already recorded",
					Detail:  fmt.Sprintf("%s was not moved to %s: that address is recorded already. Remove one of them with promptform state rm.", r.From, r.Rec.Address),
					Subject: mv.DeclRange.Ptr()})
				continue
			}
			delete(out.Steps, r.From)
			out.Steps[r.Rec.Address] = r.Rec
			r.Block = [2]string{mv.From.String(), mv.To.String()}
			if i, ok := at[r.From]; ok { // the next link of a chain: one move from the start
				delete(at, r.From)
				moves[i].Rec, moves[i].Block[1] = r.Rec, r.Block[1]
				at[r.Rec.Address] = i
				continue
			}
			at[r.Rec.Address] = len(moves)
			moves = append(moves, r)
		}
	}
	return &out, moves, diags
}

// unmovedKeys warns about a whole step moved to one instance while it has
// records with keys: only a keyless record can take the instance's place.
func unmovedKeys(st *state.State, mv *config.Moved) hcl.Diagnostics {
	if mv.From.IsModule() || mv.From.Key != addrs.NoKey || mv.To.Key == addrs.NoKey {
		return nil
	}
	for addr, rec := range st.Steps {
		if rec != nil && rec.Name == mv.From.Step.Name && recordOf(addr, mv.From.Step) && len(rec.Key) > 0 {
			return hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Moved block moves no keyed record",
				Detail:  fmt.Sprintf("%s has instances with keys (%s); a whole step moves to %s only when it has none. Move each instance with its own moved block.", mv.From, addr, mv.To),
				Subject: mv.DeclRange.Ptr()}}
		}
	}
	return nil
}

// overlaps reports whether two moved addresses name a common instance: the
// same step, and the same key or no key on either side; or a module and
// a step or module in it (either way round).
func overlaps(a, b addrs.Target) bool {
	switch {
	case a.IsModule():
		return b.Step.Module.Within(a.Step.Module) || b.IsModule() && a.Step.Module.Within(b.Step.Module)
	case b.IsModule():
		return a.Step.Module.Within(b.Step.Module)
	}
	return a.Step.Equal(b.Step) && (a.Key == addrs.NoKey || b.Key == addrs.NoKey || a.String() == b.String())
}

// chainOrder orders moved blocks so that in a chain (a to b, b to c, or b
// to b["y"]) each link moves after the one whose destination it takes
// from: what a held ends at the end of the chain. checkMoved has ruled out
// circles.
func chainOrder(moved []*config.Moved) []*config.Moved {
	depth := map[*config.Moved]int{}
	var of func(mv *config.Moved, seen int) int
	of = func(mv *config.Moved, seen int) int {
		if d, ok := depth[mv]; ok {
			return d
		}
		d := 0
		if seen <= len(moved) {
			for _, other := range moved {
				if other != mv && overlaps(other.To, mv.From) {
					d = max(d, of(other, seen+1)+1)
				}
			}
		}
		depth[mv] = d
		return d
	}
	out := slices.Clone(moved)
	for _, mv := range out {
		of(mv, 0)
	}
	slices.SortStableFunc(out, func(a, b *config.Moved) int { return depth[a] - depth[b] })
	return out
}

// checkMoved reports moved blocks whose from is still declared (a whole
// step; an instance still planned is checked after expansion), and blocks
// that conflict: one from twice, one to twice, or a circle.
func checkMoved(cfg *config.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	froms, tos := map[string]*config.Moved{}, map[string]*config.Moved{}
	next := map[string]string{}
	for _, mv := range cfg.Moved {
		f, t := mv.From.String(), mv.To.String()
		if stillDeclared(cfg, mv) {
			what := "step"
			if mv.From.IsModule() {
				what = "module block"
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Moved object still exists",
				Detail:  fmt.Sprintf("This moved block moves %s, which is still declared. Remove the %s, or the moved block.", f, what),
				Subject: mv.FromRange.Ptr()})
		}
		for _, g := range slices.Sorted(maps.Keys(froms)) {
			if prev := froms[g]; g != f && overlaps(prev.From, mv.From) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ambiguous move statements",
					Detail:  fmt.Sprintf("%s and %s (at %s) both move records of %s.", f, g, prev.DeclRange, mv.From.Step),
					Subject: mv.DeclRange.Ptr()})
			}
		}
		if prev := froms[f]; prev != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ambiguous move statements",
				Detail:  fmt.Sprintf("%s is moved twice: here and at %s.", f, prev.DeclRange),
				Subject: mv.DeclRange.Ptr()})
		}
		if prev := tos[t]; prev != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Ambiguous move statements",
				Detail:  fmt.Sprintf("Two moved blocks move to %s: this one and the one at %s.", t, prev.DeclRange),
				Subject: mv.DeclRange.Ptr()})
		}
		froms[f], tos[t], next[f] = mv, mv, t
	}
	for _, mv := range cfg.Moved {
		seen := map[string]bool{}
		for at := mv.From.String(); next[at] != ""; at = next[at] {
			if seen[at] {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cyclic move statements",
					Detail:  fmt.Sprintf("The moved blocks move %s in a circle.", mv.From),
					Subject: mv.DeclRange.Ptr()})
				return diags
			}
			seen[at] = true
		}
	}
	return diags
}

// checkMovedInstances reports moved blocks whose from is an instance (or
// a module instance) that the plan still expands.
func checkMovedInstances(cfg *config.Config, planned []Addr) hcl.Diagnostics {
	if len(cfg.Moved) == 0 {
		return nil
	}
	has := make(map[string]bool, len(planned))
	for _, a := range planned {
		has[a.String()] = true // an instance's first sample has its own address
		for m := a.Step.Module; !m.IsRoot(); m = m[:len(m)-1] {
			has[m.String()] = true
		}
	}
	var diags hcl.Diagnostics
	for _, mv := range cfg.Moved {
		// An instance; or, for step.a to step.a[0], the keyless step.a,
		// whose address is the step's; or a module instance.
		if !has[mv.From.String()] {
			continue
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Moved object still exists",
			Detail:  fmt.Sprintf("This moved block moves %s, which the configuration still has. Remove the instance, or the moved block.", mv.From),
			Subject: mv.FromRange.Ptr()})
	}
	return diags
}

// moveModuleRecords returns the records of st in the module from (a module
// target), each re-addressed under the module to: module.a.step.x moves to
// module.b.step.x, and nested modules move with it. A call without a key
// moves its keyed instances too, keeping their keys, unless to gives a
// key: then only its keyless records move (module.a to module.a["x"], when
// for_each is added).
func moveModuleRecords(st *state.State, from, to addrs.Target) []MovedRecord {
	src, dst := from.String(), to.String()
	keyless := to.Step.Module[len(to.Step.Module)-1].Key != addrs.NoKey
	var out []MovedRecord
	for _, addr := range slices.Sorted(maps.Keys(st.Steps)) {
		rest, ok := strings.CutPrefix(addr, src)
		if !ok || st.Steps[addr] == nil || !strings.HasPrefix(rest, ".") && (!strings.HasPrefix(rest, "[") || keyless) {
			continue
		}
		moved := *st.Steps[addr]
		moved.Address = dst + rest
		out = append(out, MovedRecord{From: addr, Rec: &moved})
	}
	return out
}

// declared reports whether the configuration declares what a moved
// address names: the step in its module, or the module.
func declared(cfg *config.Config, t addrs.Target) bool {
	if t.IsModule() {
		return cfg.Child(t.Step.Module.Calls()...) != nil
	}
	return stepDecl(cfg, t.Step) != nil
}

// stillDeclared reports whether a moved block's from is still declared as
// a whole: a step, or a module block, that the block renames. A move
// between keys of one step or module block (adding count, say) is checked
// once the instances are known, by checkMovedInstances.
func stillDeclared(cfg *config.Config, mv *config.Moved) bool {
	if !mv.From.IsModule() {
		return mv.From.Whole() && stepDecl(cfg, mv.From.Step) != nil && !mv.From.Step.Equal(mv.To.Step)
	}
	from, to := mv.From.Step.Module, mv.To.Step.Module
	return from[len(from)-1].Key == addrs.NoKey && declared(cfg, mv.From) && !slices.Equal(from.Calls(), to.Calls())
}

// recordOf reports whether the record at addr is of the step s: in its
// module instance, not a step of the same name elsewhere.
func recordOf(addr string, s addrs.Step) bool {
	inst, _ := addrs.SplitSample(addr)
	t, err := addrs.ParseTarget(inst)
	return err == nil && t.Step.Equal(s)
}

// stepDecl returns the step block an address names, in the module its
// path leads to; nil when there is none.
func stepDecl(cfg *config.Config, s addrs.Step) *config.Step {
	if mod := cfg.Child(s.Module.Calls()...); mod != nil {
		return mod.Steps[s.Name]
	}
	return nil
}
