package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// keys returns n strings "k0".."k{n-1}", each repeated twice, as a tuple.
func repeatedKeys(n int) cty.Value {
	vals := make([]cty.Value, 0, 2*n)
	for i := range n {
		vals = append(vals, cty.StringVal(fmt.Sprintf("k%d", i)))
	}
	vals = append(vals, vals...)
	return cty.TupleVal(vals)
}

func TestLargeCollections(t *testing.T) {
	t.Parallel()
	const n = 5000
	vars := map[string]cty.Value{"xs": repeatedKeys(n)}
	tests := map[string]struct {
		src   string
		check func(cty.Value) error
	}{
		"toset drops repeats": {src: `toset(xs)`, check: func(v cty.Value) error {
			if !v.Type().Equals(cty.Set(cty.String)) || v.LengthInt() != n || !v.HasElement(cty.StringVal("k4999")).True() {
				return fmt.Errorf("want a set of %d strings holding k19999", n)
			}
			return nil
		}},
		"distinct keeps first occurrences in order": {src: `distinct(xs)`, check: func(v cty.Value) error {
			l := v.AsValueSlice()
			if len(l) != n || l[0].AsString() != "k0" || l[n-1].AsString() != "k4999" {
				return fmt.Errorf("want k0..k4999")
			}
			return nil
		}},
		"tolist keeps every element": {src: `tolist(xs)`, check: func(v cty.Value) error {
			if !v.Type().Equals(cty.List(cty.String)) || v.LengthInt() != 2*n {
				return fmt.Errorf("want a list of %d strings", 2*n)
			}
			return nil
		}},
		"setunion": {src: `setunion(xs, ["new"])`, check: func(v cty.Value) error {
			if v.LengthInt() != n+1 {
				return fmt.Errorf("want %d elements", n+1)
			}
			return nil
		}},
		"sort and join": {src: `join(",", slice(sort(xs), 0, 3))`, check: func(v cty.Value) error {
			if v.AsString() != "k0,k0,k1" {
				return fmt.Errorf("want k0,k0,k1")
			}
			return nil
		}},
		"tomap of a for expression": {src: `tomap({ for x in xs : x => upper(x)... })`, check: func(v cty.Value) error {
			if v.LengthInt() != n || v.Index(cty.StringVal("k7")).LengthInt() != 2 {
				return fmt.Errorf("want a map of %d lists of two", n)
			}
			return nil
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := evalFunc(t, t.TempDir(), tc.src, vars)
			if diags.HasErrors() {
				t.Fatalf("unexpected diagnostics:\n%s", diagsString(diags))
			}
			if err := tc.check(got); err != nil {
				t.Errorf("wrong result of %s: %s", tc.src, err)
			}
		})
	}
}

// TestCollectionFunctionsMatchLibraries checks that the linear list, set
// and map functions give what the libraries' own give: the same value or
// the same error, for each expression and each input.
func TestCollectionFunctionsMatchLibraries(t *testing.T) {
	t.Parallel()
	inputs := map[string]cty.Value{
		"strs":     repeatedKeys(50),
		"mixed":    cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.True, cty.StringVal("1")}),
		"nums":     cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.NumberFloatVal(1.0), cty.MustParseNumberVal("0.1"), cty.NumberFloatVal(0.1), cty.NumberIntVal(2)}),
		"nulls":    cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NullVal(cty.String), cty.NullVal(cty.DynamicPseudoType), cty.NullVal(cty.String)}),
		"unknowns": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String), cty.DynamicVal}),
		"marked":   cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("s").Mark("sensitive"), cty.StringVal("a")}),
		"objs": cty.TupleVal([]cty.Value{
			cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}),
			cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "b": cty.NumberIntVal(1)}),
			cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(3)}),
			cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x")}),
		}),
		"lists":  cty.TupleVal([]cty.Value{cty.TupleVal([]cty.Value{cty.StringVal("a")}), cty.EmptyTupleVal, cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("b")})}),
		"badmix": cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.TupleVal([]cty.Value{cty.StringVal("a")})}),
		"empty":  cty.EmptyTupleVal,
		"obj":    cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("1"), "y": cty.NumberIntVal(2), "z": cty.True}),
		"objbad": cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("1"), "y": cty.EmptyObjectVal}),
		"list":   cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("b")}),
		"null":   cty.NullVal(cty.DynamicPseudoType),
		"dyn":    cty.DynamicVal,
	}
	calls := []string{"toset(%s)", "tolist(%s)", "tomap(%s)", "distinct(%s)", "sort(%s)", "join(\"-\", %s)",
		"setunion(%s, [\"a\"])", "setintersection(%s, %s)", "setsubtract(%s, [\"a\"])", "compact(%s)",
		"chunklist(%s, 2)", "alltrue(%s)", "zipmap(%s, %s)", "length(%s)", "jsonencode(%s)"}
	lib := fastFunctionsOff()
	fast := Functions(t.TempDir())
	for _, call := range calls {
		for name := range inputs {
			src := strings.ReplaceAll(call, "%s", name)
			t.Run(src, func(t *testing.T) {
				t.Parallel()
				want, wantDiags := evalWith(t, src, inputs, lib)
				got, gotDiags := evalWith(t, src, inputs, fast)
				// The libraries' functions get one error per bad argument
				// from HCL; the linear ones report the first.
				if len(wantDiags) > 1 && len(gotDiags) == 1 {
					wantDiags = wantDiags[:1]
				}
				if w, g := diagsString(wantDiags), diagsString(gotDiags); w != g {
					t.Fatalf("wrong diagnostics\ngot:  %s\nwant: %s", g, w)
				}
				if !wantDiags.HasErrors() && !got.RawEquals(want) {
					t.Errorf("wrong result\ngot:  %#v\nwant: %#v", got, want)
				}
			})
		}
	}
}

// fastFunctionsOff returns the functions as the libraries have them, with
// the file functions.
func fastFunctionsOff() map[string]function.Function {
	fns := plainFunctions()
	fns["file"] = Functions(".")["file"]
	return fns
}

func evalWith(t *testing.T, src string, vars map[string]cty.Value, fns map[string]function.Function) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("cannot parse %s:\n%s", src, diagsString(diags))
	}
	return expr.Value(&hcl.EvalContext{Variables: vars, Functions: fns})
}

func TestConvertMatchesLibrary(t *testing.T) {
	t.Parallel()
	in := cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.StringVal("a")})
	obj := cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.StringVal("x")})
	tests := []struct {
		v    cty.Value
		want cty.Type
	}{
		{in, cty.List(cty.String)},
		{in, cty.Set(cty.String)},
		{in, cty.Set(cty.DynamicPseudoType)},
		{in, cty.List(cty.Number)},
		{in, cty.List(cty.Bool)},
		{obj, cty.Map(cty.String)},
		{obj, cty.Map(cty.DynamicPseudoType)},
		{obj, cty.Map(cty.Number)},
		{cty.TupleVal([]cty.Value{obj, obj}), cty.List(cty.Map(cty.String))},
		{cty.StringVal("1"), cty.Number},
	}
	for _, tc := range tests {
		want, wantErr := convert.Convert(tc.v, tc.want)
		got, gotErr := Convert(tc.v, tc.want)
		if (wantErr == nil) != (gotErr == nil) || (wantErr == nil && !got.RawEquals(want)) {
			t.Errorf("Convert(%#v, %#v)\ngot:  %#v, %v\nwant: %#v, %v", tc.v, tc.want, got, gotErr, want, wantErr)
		}
	}
}

// BenchmarkToset measures toset of a tuple of strings, half of them
// repeated, at three sizes: the time per element should stay flat.
func BenchmarkToset(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			vars := map[string]cty.Value{"xs": repeatedKeys(n / 2)}
			expr, _ := hclsyntax.ParseExpression([]byte(`toset(xs)`), "bench.hcl", hcl.InitialPos)
			ctx := &hcl.EvalContext{Variables: vars, Functions: Functions(b.TempDir())}
			for b.Loop() {
				if _, diags := expr.Value(ctx); diags.HasErrors() {
					b.Fatal(diags.Error())
				}
			}
		})
	}
}
