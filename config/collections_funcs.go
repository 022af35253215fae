package config

import (
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// withFastArgs wraps a function that takes lists, sets or maps so that its
// arguments are converted to its parameter types in linear time. HCL would
// convert them itself, with the convert package, before the call; the
// wrapper's parameters accept any value so that HCL leaves them alone, and
// the wrapper converts them and calls f, which then checks them as it
// always does. A function without such a parameter is returned as it is.
func withFastArgs(f function.Function) function.Function {
	params := f.Params()
	vp := f.VarParam()
	if !hasCollection(params, vp) {
		return f
	}
	prepare := func(args []cty.Value) ([]cty.Value, error) {
		out := make([]cty.Value, len(args))
		for i, a := range args {
			p := vp
			if i < len(params) {
				p = &params[i]
			}
			v, err := Convert(a, p.Type)
			if err != nil {
				return nil, function.NewArgError(i, err)
			}
			out[i] = v
		}
		return out, nil
	}
	return wrapFunc(f, prepare)
}

// fastTo is tolist, toset or tomap: the conversion function to want. A
// tuple or object argument that converts in linear time is the result; any
// other goes to the usual function, for its own result or error.
func fastTo(want cty.Type) function.Function {
	f := stdlib.MakeToFunc(want)
	spec := &function.Spec{
		Description: f.Description(),
		Params:      []function.Parameter{openParam(f.Params()[0])},
		Type: func(args []cty.Value) (cty.Type, error) {
			if v, ok := fastConvert(args[0], want); ok {
				return v.Type(), nil
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if v, ok := fastConvert(args[0], want); ok {
				return v, nil
			}
			return f.Call(args)
		},
	}
	return function.New(spec)
}

// wrapFunc returns f with open parameters and its arguments passed through
// prepare before each call.
func wrapFunc(f function.Function, prepare func([]cty.Value) ([]cty.Value, error)) function.Function {
	params := f.Params()
	spec := &function.Spec{
		Description: f.Description(),
		Params:      make([]function.Parameter, len(params)),
		Type: func(args []cty.Value) (cty.Type, error) {
			args, err := prepare(args)
			if err != nil {
				return cty.NilType, err
			}
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			args, err := prepare(args)
			if err != nil {
				return cty.NilVal, err
			}
			return f.Call(args)
		},
	}
	for i, p := range params {
		spec.Params[i] = openParam(p)
	}
	if vp := f.VarParam(); vp != nil {
		open := openParam(*vp)
		spec.VarParam = &open
	}
	return function.New(spec)
}

// openParam is p accepting any value: the wrapped function checks it.
func openParam(p function.Parameter) function.Parameter {
	return function.Parameter{
		Name: p.Name, Description: p.Description, Type: cty.DynamicPseudoType,
		AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true,
	}
}

func hasCollection(params []function.Parameter, vp *function.Parameter) bool {
	if vp != nil && vp.Type.IsCollectionType() {
		return true
	}
	for _, p := range params {
		if p.Type.IsCollectionType() {
			return true
		}
	}
	return false
}

// distinctFunc is distinct: the list without its repeated elements, first
// occurrences kept in order. It compares each element with the earlier
// ones that encode to the same JSON, not with all of them, so it is linear
// where the usual implementation is quadratic. Lists with unknown or
// marked elements go to that implementation.
var distinctFunc = function.New(&function.Spec{
	Description: stdlib.DistinctFunc.Description(),
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.DynamicPseudoType)}},
	Type:        func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
	RefineResult: func(b *cty.RefinementBuilder) *cty.RefinementBuilder {
		return b.NotNull()
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		list := args[0]
		if list.LengthInt() == 0 || !list.IsWhollyKnown() || list.ContainsMarked() {
			return stdlib.DistinctFunc.Call(args)
		}
		out, ok := distinctValues(list.AsValueSlice(), retType.ElementType())
		if !ok {
			return stdlib.DistinctFunc.Call(args)
		}
		return cty.ListVal(out), nil
	},
})

// distinctValues drops repeated values, keeping first occurrences in
// order; ok is false when a value cannot be encoded.
func distinctValues(vals []cty.Value, ety cty.Type) ([]cty.Value, bool) {
	buckets := map[string][]cty.Value{}
	var out []cty.Value
	for _, v := range vals {
		b, err := ctyjson.Marshal(v, ety)
		if err != nil {
			return nil, false
		}
		key := string(b)
		if containsValue(buckets[key], v) {
			continue
		}
		buckets[key] = append(buckets[key], v)
		out = append(out, v)
	}
	return out, true
}

// containsValue reports whether vals holds a value equal to v. Equal
// values encode alike; values that encode alike (numbers of different
// precision) may still differ, so the bucket is compared exactly.
func containsValue(vals []cty.Value, v cty.Value) bool {
	for _, w := range vals {
		if w.Equals(v).True() {
			return true
		}
	}
	return false
}
