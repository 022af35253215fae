package config

import (
	"errors"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// cty's convert package turns a tuple into a list or a set, and an object
// into a map, by unifying the types of every pair of elements: quadratic in
// the number of elements, so toset of 16,000 strings took seconds and of
// 100,000 minutes. The functions here convert the same values in linear
// time: they unify only the distinct element types, which are few, and
// convert each element once. Whatever they cannot convert goes through the
// convert package as before, so results and errors are unchanged.

// Convert converts v to the type want, as convert.Convert does, in linear
// time for tuples and objects converted to lists, sets and maps.
func Convert(v cty.Value, want cty.Type) (cty.Value, error) {
	if out, ok := fastConvert(v, want); ok {
		return out, nil
	}
	return convert.Convert(v, want)
}

// fastConvert converts a known, unmarked tuple to a list or set type, or a
// known, unmarked object to a map type. ok is false when it does not apply
// or cannot decide; the caller then uses the convert package.
func fastConvert(v cty.Value, want cty.Type) (out cty.Value, ok bool) {
	if !v.IsKnown() || v.IsNull() || v.ContainsMarked() {
		return cty.NilVal, false
	}
	ty := v.Type()
	switch {
	case ty.IsTupleType() && (want.IsListType() || want.IsSetType()):
		elems, ok := convertElems(v.AsValueSlice(), want.ElementType())
		switch {
		case !ok:
			return cty.NilVal, false
		case want.IsListType():
			return cty.ListVal(elems), true
		}
		return cty.SetVal(elems), true
	case ty.IsObjectType() && want.IsMapType():
		m := v.AsValueMap()
		names := make([]string, 0, len(m))
		vals := make([]cty.Value, 0, len(m))
		for k, e := range m {
			names, vals = append(names, k), append(vals, e)
		}
		elems, ok := convertElems(vals, want.ElementType())
		if !ok {
			return cty.NilVal, false
		}
		for i, k := range names {
			m[k] = elems[i]
		}
		return cty.MapVal(m), true
	}
	return cty.NilVal, false
}

// convertElems converts elements to ety, or to the type that unifies them
// when ety is the dynamic type. ok is false for no elements, for elements
// that do not convert, and for results whose types differ (which the
// convert package unifies once more).
func convertElems(elems []cty.Value, ety cty.Type) ([]cty.Value, bool) {
	if len(elems) == 0 {
		return nil, false
	}
	if ety == cty.DynamicPseudoType {
		if ety = unifyDistinct(elems); ety == cty.NilType || ety == cty.DynamicPseudoType {
			return nil, false
		}
	}
	convs := map[string]convert.Conversion{}
	out := make([]cty.Value, len(elems))
	for i, e := range elems {
		var err error
		out[i], err = convertCached(convs, e, ety)
		if err != nil || !out[i].Type().Equals(ety) {
			return nil, false
		}
	}
	return out, true
}

// convertCached converts e to ety with the conversion for e's type, made
// once per distinct type.
func convertCached(convs map[string]convert.Conversion, e cty.Value, ety cty.Type) (cty.Value, error) {
	if e.Type().Equals(ety) {
		return e, nil
	}
	key := e.Type().GoString()
	conv, seen := convs[key]
	if !seen {
		conv = convert.GetConversionUnsafe(e.Type(), ety)
		convs[key] = conv
	}
	if conv == nil {
		return cty.NilVal, errNoConversion
	}
	return conv(e)
}

var errNoConversion = errors.New("no conversion")

// unifyDistinct returns the type the elements unify to, unifying each
// distinct type once; cty.NilType when there is none.
func unifyDistinct(elems []cty.Value) cty.Type {
	seen := map[string]bool{}
	var types []cty.Type
	for _, e := range elems {
		if key := e.Type().GoString(); !seen[key] {
			seen[key] = true
			types = append(types, e.Type())
		}
	}
	ty, _ := convert.UnifyUnsafe(types)
	return ty
}
