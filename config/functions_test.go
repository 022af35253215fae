package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evalFunc evaluates src with the functions of dir and the given variables.
func evalFunc(t *testing.T, dir, src string, vars map[string]cty.Value) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("cannot parse %s:\n%s", src, diagsString(diags))
	}
	return expr.Value(&hcl.EvalContext{Variables: vars, Functions: Functions(dir)})
}

func TestFunctions(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{
		"data/rows.jsonl":  "{\"a\": 1}\n\n  \n{\"a\": 2, \"b\": \"x\"}\n",
		"data/bad.jsonl":   "{\"a\": 1}\n\n{not json}\n",
		"data/cases.csv":   "id,question\n1,What?\n2,Why?\n",
		"data/input.md":    "# Title\n",
		"greeting.tmpl":    "Hello, ${name}! ${upper(place)}",
		"leaky.tmpl":       "Hello, ${var.secret}",
		"loop.tmpl":        "%{ for x in items }[${x}]%{ endfor }",
		"sub/nested.tmpl":  "${length(items)} items",
		"data/empty.jsonl": "\n\n",
	})
	strs := func(ss ...string) cty.Value {
		vals := make([]cty.Value, len(ss))
		for i, s := range ss {
			vals[i] = cty.StringVal(s)
		}
		return cty.TupleVal(vals)
	}
	tests := map[string]struct {
		src     string
		want    cty.Value
		wantErr string // a substring of the error detail, when an error is expected
	}{
		"length of a string counts characters": {src: `length("héllo")`, want: cty.NumberIntVal(5)},
		"length of an empty string":            {src: `length("")`, want: cty.NumberIntVal(0)},
		"length of a list":                     {src: `length(["a", "b", "c"])`, want: cty.NumberIntVal(3)},
		"length of a map":                      {src: `length(tomap({ a = 1, b = 2 }))`, want: cty.NumberIntVal(2)},
		"length of an object":                  {src: `length({ a = 1 })`, want: cty.NumberIntVal(1)},
		"length of a number":                   {src: `length(5)`, wantErr: "length takes a string"},
		"strcontains true":                     {src: `strcontains("hello world", "o w")`, want: cty.True},
		"strcontains false":                    {src: `strcontains("hello", "world")`, want: cty.False},
		"startswith true":                      {src: `startswith("hello", "he")`, want: cty.True},
		"startswith false":                     {src: `startswith("hello", "lo")`, want: cty.False},
		"endswith true":                        {src: `endswith("hello", "lo")`, want: cty.True},
		"endswith false":                       {src: `endswith("hello", "he")`, want: cty.False},
		"sum of numbers":                       {src: `sum([1, 2, 3.5])`, want: cty.NumberFloatVal(6.5)},
		"sum of a set":                         {src: `sum(toset([1, 2]))`, want: cty.NumberIntVal(3)},
		"sum of strings":                       {src: `sum(["a"])`, wantErr: "sum needs a list or set of numbers"},
		"alltrue all true":                     {src: `alltrue([true, true])`, want: cty.True},
		"alltrue one false":                    {src: `alltrue([true, false])`, want: cty.False},
		"alltrue empty":                        {src: `alltrue([])`, want: cty.True},
		"alltrue unknown":                      {src: `alltrue([true, unknown])`, want: cty.UnknownVal(cty.Bool)},
		"alltrue unknown but one false":        {src: `alltrue([unknown, false])`, want: cty.False},
		"anytrue one true":                     {src: `anytrue([false, true])`, want: cty.True},
		"anytrue all false":                    {src: `anytrue([false, false])`, want: cty.False},
		"anytrue empty":                        {src: `anytrue([])`, want: cty.False},
		"anytrue unknown":                      {src: `anytrue([false, unknown])`, want: cty.UnknownVal(cty.Bool)},
		"one of one":                           {src: `one(["x"])`, want: cty.StringVal("x")},
		"one of an empty list":                 {src: `one(tolist([]))`, want: cty.NullVal(cty.DynamicPseudoType)},
		"one of an empty string list":          {src: `one(tolist(var_empty))`, want: cty.NullVal(cty.String)},
		"one of two":                           {src: `one(tolist(["a", "b"]))`, wantErr: "must have no more than one element"},
		"tostring of a number":                 {src: `tostring(42)`, want: cty.StringVal("42")},
		"tostring of a bool":                   {src: `tostring(true)`, want: cty.StringVal("true")},
		"tostring of a list":                   {src: `tostring(["a"])`, wantErr: "Invalid value for \"v\" parameter"},
		"tonumber":                             {src: `tonumber("1.5")`, want: cty.NumberFloatVal(1.5)},
		"tobool":                               {src: `tobool("false")`, want: cty.False},
		"jsonldecode skips blank lines": {
			src: `jsonldecode(file("data/rows.jsonl"))`,
			want: cty.TupleVal([]cty.Value{
				cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1)}),
				cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(2), "b": cty.StringVal("x")}),
			}),
		},
		"jsonldecode of blank lines only": {src: `jsonldecode(file("data/empty.jsonl"))`, want: cty.EmptyTupleVal},
		"jsonldecode names the bad line":  {src: `jsonldecode(file("data/bad.jsonl"))`, wantErr: "line 3:"},
		"jsonldecode inline":              {src: `jsonldecode("1\n\"two\"")`, want: cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("two")})},
		"csvdecode of a file": {
			src:  `[for r in csvdecode(file("data/cases.csv")) : r.question]`,
			want: strs("What?", "Why?"),
		},
		"file is relative to the directory": {src: `file("data/input.md")`, want: cty.StringVal("# Title\n")},
		"fileexists":                        {src: `fileexists("data/input.md")`, want: cty.True},
		"templatefile sees its vars": {
			src:  `templatefile("greeting.tmpl", { name = "Ada", place = "london" })`,
			want: cty.StringVal("Hello, Ada! LONDON"),
		},
		"templatefile with a loop": {
			src:  `templatefile("loop.tmpl", { items = ["a", "b"] })`,
			want: cty.StringVal("[a][b]"),
		},
		"templatefile in a subdirectory": {
			src:  `templatefile("sub/nested.tmpl", { items = [1, 2] })`,
			want: cty.StringVal("2 items"),
		},
		"templatefile sees only its vars": {
			src:     `templatefile("leaky.tmpl", { name = "Ada" })`,
			wantErr: `There is no variable named "var"`,
		},
		"templatefile missing a var": {
			src:     `templatefile("greeting.tmpl", { name = "Ada" })`,
			wantErr: "place",
		},
		"templatefile vars must be an object": {
			src:     `templatefile("greeting.tmpl", "Ada")`,
			wantErr: "vars must be an object or a map",
		},
		"templatefile of a missing file": {
			src:     `templatefile("nope.tmpl", {})`,
			wantErr: "cannot read template",
		},
		"try and can":      {src: `[try(tonumber("x"), 0), can(tonumber("x"))]`, want: cty.TupleVal([]cty.Value{cty.NumberIntVal(0), cty.False})},
		"sha256":           {src: `sha256("abc")`, want: cty.StringVal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		"base64 roundtrip": {src: `base64decode(base64encode("hi"))`, want: cty.StringVal("hi")},
	}
	vars := map[string]cty.Value{
		"unknown":   cty.UnknownVal(cty.Bool),
		"var_empty": cty.ListValEmpty(cty.String),
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := evalFunc(t, dir, tc.src, vars)
			if tc.wantErr != "" {
				if !diags.HasErrors() {
					t.Fatalf("no error\ngot:  %#v\nwant: an error containing %q", got, tc.wantErr)
				}
				if d := diagsString(diags); !strings.Contains(d, tc.wantErr) {
					t.Errorf("wrong error\ngot:  %s\nwant: containing %q", d, tc.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("unexpected diagnostics:\n%s", diagsString(diags))
			}
			if !got.RawEquals(tc.want) {
				t.Errorf("wrong result\ngot:  %#v\nwant: %#v", got, tc.want)
			}
		})
	}
}

// TestFunctionsAreHermetic checks that no function reads the clock, a random
// source or the environment: a configuration means the same on every machine.
func TestFunctionsAreHermetic(t *testing.T) {
	t.Parallel()
	fns := Functions(t.TempDir())
	for _, name := range []string{"timestamp", "uuid", "env", "plantimestamp", "bcrypt", "uuidv5"} {
		if _, ok := fns[name]; ok {
			t.Errorf("function %s is available; it must not be", name)
		}
	}
	for _, name := range []string{"templatefile", "jsonldecode", "tostring", "tonumber", "tobool", "tolist", "toset", "tomap",
		"sum", "alltrue", "anytrue", "one", "strcontains", "startswith", "endswith", "file", "fileexists", "fileset",
		"csvdecode", "jsonencode", "jsondecode", "try", "can", "md5", "sha1", "sha256", "sha512", "urlencode", "length"} {
		if _, ok := fns[name]; !ok {
			t.Errorf("function %s is missing", name)
		}
	}
}
