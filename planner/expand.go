package planner

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Instance is one instance of a step: the step itself, or one element of its
// for_each or count.
type Instance struct {
	Addr Addr
	Step *config.Step
	Rep  Repetition
}

// Expand evaluates a step's for_each or count and returns its instances,
// sorted by key. for_each and count must be known when the plan is made: they
// may use variables and locals, and the recorded output of steps that will
// not run, but not the output of a step that has yet to run.
//
// With repeat = N, every instance comes as N samples, one after another:
// the instance itself (sample 0), then ADDR#1 to ADDR#N-1.
func Expand(s *config.Step, refs []*config.Ref, scope *Scope) ([]*Instance, hcl.Diagnostics) {
	var insts []*Instance
	var diags hcl.Diagnostics
	switch {
	case s.ForEach != nil:
		insts, diags = expandForEach(s, refs, scope)
	case s.Count != nil:
		insts, diags = expandCount(s, refs, scope)
	default:
		insts = []*Instance{{Addr: stepAddr(s).Instance(addrs.NoKey), Step: s}}
	}
	if diags.HasErrors() {
		return insts, diags
	}
	return expandSamples(s, refs, scope, insts)
}

// stepAddr returns the address of a step of the configuration, which is
// the root module.
func stepAddr(s *config.Step) addrs.Step { return addrs.Step{Name: s.Name} }

func expandForEach(s *config.Step, refs []*config.Ref, scope *Scope) ([]*Instance, hcl.Diagnostics) {
	ctx := scope.EvalContext(refs, Repetition{})
	v, diags := s.ForEach.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(detail string) ([]*Instance, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid for_each argument", Detail: detail,
			Subject: s.ForEach.Range().Ptr(), Expression: s.ForEach, EvalContext: ctx,
		}}
	}
	// The keys become addresses: they must not be sensitive. A map's values
	// may be, and each.value keeps their marks.
	sensitiveKeys := sensitiveRepetition("for_each", "the keys become part of the instance addresses, which plans, progress and the state show. A map with plain keys may have sensitive values.")
	if v.IsMarked() {
		return bad(sensitiveKeys)
	}
	// The size first: reading a large set (IsWhollyKnown, marks) sorts it.
	switch ty := v.Type(); {
	case v.IsKnown() && !v.IsNull() && (ty.IsSetType() || ty.IsMapType() || ty.IsObjectType()) && forEachTooLarge(v.LengthInt()) != "":
		return bad(forEachTooLarge(v.LengthInt())) // LengthInt is cheap: the size is stored
	case !v.IsWhollyKnown():
		return bad("The for_each value depends on a step that has not run yet, so its keys cannot be known when the plan is made. Use variables, locals or files for for_each.")
	case v.IsNull():
		return bad("The for_each value must not be null.")
	case ty.IsSetType():
		if v.ContainsMarked() {
			return bad(sensitiveKeys)
		}
		if !ty.ElementType().Equals(cty.String) {
			if conv, err := convert.Convert(v, cty.Set(cty.String)); err == nil {
				v = conv
			} else {
				return bad("A set given to for_each must hold strings.")
			}
		}
		var out []*Instance
		for _, k := range v.AsValueSlice() {
			if k.IsNull() {
				return bad("A set given to for_each must not hold null: each element becomes an instance key.")
			}
			out = append(out, &Instance{Addr: stepAddr(s).Instance(k), Step: s, Rep: Repetition{EachKey: k, EachValue: k}})
		}
		return sortInstances(out), nil
	case ty.IsMapType() || ty.IsObjectType():
		var out []*Instance
		for k, ev := range v.AsValueMap() {
			key := cty.StringVal(k)
			out = append(out, &Instance{Addr: stepAddr(s).Instance(key), Step: s, Rep: Repetition{EachKey: key, EachValue: ev}})
		}
		return sortInstances(out), nil
	}
	return bad(fmt.Sprintf("for_each takes a map or a set of strings, not a %s. To use a list, convert it: toset(list), or build a map with a for expression.", v.Type().FriendlyName()))
}

func expandCount(s *config.Step, refs []*config.Ref, scope *Scope) ([]*Instance, hcl.Diagnostics) {
	ctx := scope.EvalContext(refs, Repetition{})
	v, diags := s.Count.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	var n int
	detail := sensitiveRepetition("count", "the count decides the instance addresses, which plans, progress and the state show.")
	if !v.ContainsMarked() {
		n, detail = countValue(v)
	}
	if detail != "" {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid count argument", Detail: detail,
			Subject: s.Count.Range().Ptr(), Expression: s.Count, EvalContext: ctx,
		}}
	}
	out := make([]*Instance, n)
	for i := range n {
		idx := cty.NumberIntVal(int64(i))
		out[i] = &Instance{Addr: stepAddr(s).Instance(idx), Step: s, Rep: Repetition{CountIndex: idx}}
	}
	return out, nil
}

// sensitiveRepetition is why a sensitive value cannot be the argument arg.
func sensitiveRepetition(arg, why string) string {
	return fmt.Sprintf("Sensitive values, or values derived from them, cannot be used as %s arguments: %s", arg, why)
}

func sortInstances(in []*Instance) []*Instance {
	sort.Slice(in, func(i, j int) bool { return in[i].Addr.Key.AsString() < in[j].Addr.Key.AsString() })
	return in
}

// InstancesValue builds the value of a step from its instance values: the
// single value, an object keyed by for_each key, or a tuple for count.
func InstancesValue(s *config.Step, insts []*Instance, vals []cty.Value) cty.Value {
	if len(vals) == 0 && s.ForEach == nil && s.Count == nil {
		return cty.DynamicVal
	}
	switch {
	case s.ForEach != nil:
		m := map[string]cty.Value{}
		for i, inst := range insts {
			m[inst.Addr.Key.AsString()] = vals[i]
		}
		return cty.ObjectVal(m)
	case s.Count != nil:
		return cty.TupleVal(vals)
	}
	return vals[0]
}
