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

	address string // Addr.String(), spelt once
}

// newInstance returns the instance at a of step s.
func newInstance(a Addr, s *config.Step, rep Repetition) *Instance {
	return &Instance{Addr: a, Step: s, Rep: rep, address: a.String()}
}

// Address is the instance's address as the state keys it: Addr.String().
func (i *Instance) Address() string {
	if i.address == "" {
		return i.Addr.String() // an Instance made by hand
	}
	return i.address
}

// Prefix is the prefix of the instance's module: the plan keys the
// module's models, schemas, tools and fallback chains after it.
func (i *Instance) Prefix() string { return i.Addr.Step.Module.Prefix() }

// Expand evaluates a step's for_each or count and returns its instances,
// sorted by key. for_each and count must be known when the plan is made: they
// may use variables and locals, and the recorded output of steps that will
// not run, but not the output of a step that has yet to run.
//
// With repeat = N, every instance comes as N samples, one after another:
// the instance itself (sample 0), then ADDR#1 to ADDR#N-1.
func Expand(mod addrs.Module, s *config.Step, refs []*config.Ref, scope *Scope) ([]*Instance, hcl.Diagnostics) {
	var insts []*Instance
	var diags hcl.Diagnostics
	addr := addrs.Step{Module: mod, Name: s.Name}
	if s.ForEach == nil && s.Count == nil {
		insts = []*Instance{newInstance(addr.Instance(addrs.NoKey), s, Repetition{})}
	} else {
		var keys []keyed
		keys, diags = repetitions(s.ForEach, s.Count, scope.EvalContext(refs, Repetition{}))
		for _, k := range keys {
			insts = append(insts, newInstance(addr.Instance(k.key), s, k.rep))
		}
	}
	if diags.HasErrors() {
		return insts, diags
	}
	return expandSamples(s, refs, scope, insts)
}

// keyed is one instance of a for_each or count: its key, and what each
// and count hold for it.
type keyed struct {
	key cty.Value
	rep Repetition
}

// repetitions evaluates a for_each or a count (one of them set) in ctx and
// returns the instances it makes, sorted by key.
func repetitions(forEach, count hcl.Expression, ctx *hcl.EvalContext) ([]keyed, hcl.Diagnostics) {
	if forEach != nil {
		return forEachKeys(forEach, ctx)
	}
	return countKeys(count, ctx)
}

func forEachKeys(expr hcl.Expression, ctx *hcl.EvalContext) ([]keyed, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := func(detail string) ([]keyed, hcl.Diagnostics) {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid for_each argument", Detail: detail,
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx,
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
		var out []keyed
		for _, k := range v.AsValueSlice() {
			if k.IsNull() {
				return bad("A set given to for_each must not hold null: each element becomes an instance key.")
			}
			out = append(out, keyed{k, Repetition{EachKey: k, EachValue: k}})
		}
		return sortKeys(out), nil
	case ty.IsMapType() || ty.IsObjectType():
		var out []keyed
		for k, ev := range v.AsValueMap() {
			key := cty.StringVal(k)
			out = append(out, keyed{key, Repetition{EachKey: key, EachValue: ev}})
		}
		return sortKeys(out), nil
	}
	return bad(fmt.Sprintf("for_each takes a map or a set of strings, not a %s. To use a list, convert it: toset(list), or build a map with a for expression.", v.Type().FriendlyName()))
}

func countKeys(expr hcl.Expression, ctx *hcl.EvalContext) ([]keyed, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
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
			Subject: expr.Range().Ptr(), Expression: expr, EvalContext: ctx,
		}}
	}
	out := make([]keyed, n)
	for i := range n {
		idx := cty.NumberIntVal(int64(i))
		out[i] = keyed{idx, Repetition{CountIndex: idx}}
	}
	return out, nil
}

// sensitiveRepetition is why a sensitive value cannot be the argument arg.
func sensitiveRepetition(arg, why string) string {
	return fmt.Sprintf("Sensitive values, or values derived from them, cannot be used as %s arguments: %s", arg, why)
}

func sortKeys(in []keyed) []keyed {
	sort.Slice(in, func(i, j int) bool { return in[i].key.AsString() < in[j].key.AsString() })
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
