package executor

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptform/promptform/planner"
)

func TestExtractJSON(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text   string
		want   string
		wantOK bool
	}{
		"plain object":         {"  {\"a\": 1}\n", `{"a": 1}`, true},
		"plain array":          {`[1, 2]`, `[1, 2]`, true},
		"plain string":         {`"just text"`, `"just text"`, true},
		"fenced json":          {"Here you go:\n```json\n{\"a\": [1, 2]}\n```\nEnjoy.", `{"a": [1, 2]}`, true},
		"fenced JSON upper":    {"```JSON\n{\"a\": 1}\n```", `{"a": 1}`, true},
		"fenced no language":   {"Result:\n```\n[\"x\"]\n```", `["x"]`, true},
		"fence closes on line": {"```json\n{\"a\": 1}```", `{"a": 1}`, true},
		"other language first": {"```python\nprint({'a': 1})\n```\n```json\n{\"b\": 2}\n```", `{"b": 2}`, true},
		"broken fence skipped": {"```json\n{oops}\n```\n```json\n{\"b\": 2}\n```", `{"b": 2}`, true},
		"prose before":         {`The answer is {"title": "HCL", "n": 2}`, `{"title": "HCL", "n": 2}`, true},
		"prose after":          {`{"ok": true} -- hope that helps!`, `{"ok": true}`, true},
		"prose around array":   {`Tags: ["a", "b"]. Done.`, `["a", "b"]`, true},
		"braces in strings": {`Sure: {"t": "a } and { and ] \" }", "n": {"m": [1]}} bye`,
			`{"t": "a } and { and ] \" }", "n": {"m": [1]}}`, true},
		"escaped backslash":      {`x {"p": "C:\\", "q": "}"} y`, `{"p": "C:\\", "q": "}"}`, true},
		"invalid span skipped":   {`{not json} then {"a": 1}`, `{"a": 1}`, true},
		"unbalanced then valid":  {`{ oops [ {"a": 1}`, `{"a": 1}`, true},
		"quote in prose":         {`He said "hi {"a": 1} and left`, `{"a": 1}`, true},
		"many unclosed brackets": {strings.Repeat("[", 100000) + `{"a": 1}`, `{"a": 1}`, true},
		"deep garbage":           {strings.Repeat("[", 20000) + "x" + strings.Repeat("]", 20000), "", false},
		"no json":                {"I cannot answer that.", "", false},
		"empty":                  {"", "", false},
		"unclosed":               {`{"a": 1`, "", false},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := extractJSON(test.text)
			if got != test.want || ok != test.wantOK {
				t.Errorf("wrong result\ngot:  %q, %t\nwant: %q, %t", got, ok, test.want, test.wantOK)
			}
		})
	}
}

const structuredTestSchema = `{
	"type": "object",
	"properties": {
		"title": {"type": "string"},
		"tags":  {"type": "array", "items": {"type": "string"}},
		"mood":  {"enum": ["calm", "excited"]},
		"meta":  {"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"], "additionalProperties": false}
	},
	"required": ["title", "tags"],
	"additionalProperties": false
}`

func TestStructuredValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		doc     string
		wantErr string
	}{
		"valid":         {`{"title": "x", "tags": ["a"], "mood": "calm", "meta": {"n": 12345678901234567890.5}}`, ""},
		"valid minimal": {`{"title": "x", "tags": []}`, ""},
		"missing required": {`{"tags": []}`,
			`executor: answer does not match schema "summary": at the top level: missing property 'title'`},
		"wrong type": {`{"title": "x", "tags": ["a", 2]}`,
			`executor: answer does not match schema "summary": at /tags/1: got number, want string`},
		"additional property": {`{"title": "x", "tags": [], "extra": 1}`,
			`executor: answer does not match schema "summary": at the top level: additional properties 'extra' not allowed`},
		"enum": {`{"title": "x", "tags": [], "mood": "angry"}`,
			`executor: answer does not match schema "summary": at /mood: value must be one of 'calm', 'excited'`},
		"several problems": {`{"title": 1, "tags": "a", "meta": {}}`,
			"executor: answer does not match schema \"summary\":\n" +
				"- at /meta: missing property 'n'\n" +
				"- at /tags: got string, want array\n" +
				"- at /title: got number, want string"},
		"not json": {`{"title": `, `executor: answer is not valid JSON: unexpected EOF`},
	}
	s, err := compileSchema("summary", []byte(structuredTestSchema))
	if err != nil {
		t.Fatal(err)
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := s.validate(test.doc)
			if test.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %s", err)
				}
				if got == nil {
					t.Error("no document returned")
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %s", test.wantErr)
			}
			if got != nil {
				t.Errorf("wrong document with error\ngot:  %v\nwant: nil", got)
			}
			if err.Error() != test.wantErr {
				t.Errorf("wrong error\ngot:  %s\nwant: %s", err, test.wantErr)
			}
		})
	}
}

func TestStructuredValidateKeepsNumbersExact(t *testing.T) {
	t.Parallel()
	s, err := compileSchema("n", []byte(`{"type": "number"}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.validate(`12345678901234567890123`)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got.(json.Number); !ok || n.String() != "12345678901234567890123" {
		t.Errorf("wrong number\ngot:  %#v\nwant: json.Number(\"12345678901234567890123\")", got)
	}
}

func TestCompileSchemaErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		schema string
		want   string
	}{
		"not json": {`{"type": `,
			`executor: schema "bad" is not valid JSON: unexpected EOF`},
		"invalid keyword value": {`{"type": "text"}`,
			"executor: schema \"bad\" is not a valid JSON Schema:\n- at /type: got string, want array\n- at /type: value must be one of"},
		"external reference": {`{"$ref": "https://example.com/other.json"}`,
			`executor: schema "bad": failing loading "https://example.com/other.json": schemas may not refer to other files or URLs`},
		"unknown metaschema": {`{"$schema": "https://example.com/meta", "type": "string"}`,
			`schemas may not refer to other files or URLs`},
		"file reference": {`{"$ref": "other.json"}`,
			`schemas may not refer to other files or URLs`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := compileSchema("bad", []byte(test.schema))
			if err == nil {
				t.Fatalf("no error; got %v", got)
			}
			if !strings.Contains(err.Error(), test.want) {
				t.Errorf("wrong error\ngot:  %s\nwant: …%s…", err, test.want)
			}
		})
	}
}

func TestDecodeResult(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		doc  string
		ty   string // an HCL type expression; "" means cty.NilType
		want cty.Value
	}{
		"string": {`"hi"`, `string`, cty.StringVal("hi")},
		"optional missing": {`{"title": "x"}`, `object({title = string, score = optional(number)})`,
			cty.ObjectVal(map[string]cty.Value{"title": cty.StringVal("x"), "score": cty.NullVal(cty.Number)})},
		"optional null": {`{"title": "x", "score": null}`, `object({title = string, score = optional(number)})`,
			cty.ObjectVal(map[string]cty.Value{"title": cty.StringVal("x"), "score": cty.NullVal(cty.Number)})},
		"optional present": {`{"title": "x", "score": 0.5}`, `object({title = string, score = optional(number)})`,
			cty.ObjectVal(map[string]cty.Value{"title": cty.StringVal("x"), "score": cty.NumberFloatVal(0.5)})},
		"nested optional missing": {`{"meta": {"a": "b"}}`,
			`object({meta = object({a = string, tags = optional(list(string)), deep = optional(object({x = bool}))})})`,
			cty.ObjectVal(map[string]cty.Value{"meta": cty.ObjectVal(map[string]cty.Value{
				"a":    cty.StringVal("b"),
				"tags": cty.NullVal(cty.List(cty.String)),
				"deep": cty.NullVal(cty.Object(map[string]cty.Type{"x": cty.Bool})),
			})})},
		"list of objects": {`[{"n": 1}, {}]`, `list(object({n = optional(number)}))`,
			cty.ListVal([]cty.Value{
				cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1)}),
				cty.ObjectVal(map[string]cty.Value{"n": cty.NullVal(cty.Number)}),
			})},
		"map of objects": {`{"k": {}}`, `map(object({v = optional(string)}))`,
			cty.MapVal(map[string]cty.Value{"k": cty.ObjectVal(map[string]cty.Value{"v": cty.NullVal(cty.String)})})},
		"tuple": {`["a", {}]`, `tuple([string, object({o = optional(bool)})])`,
			cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.ObjectVal(map[string]cty.Value{"o": cty.NullVal(cty.Bool)})})},
		"absent required attribute": {`{}`, `object({a = string})`, // the schema's to refuse
			cty.ObjectVal(map[string]cty.Value{"a": cty.NullVal(cty.String)})},
		"set":          {`["a", "b"]`, `set(string)`, cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		"exact number": {`12345678901234567890123`, `number`, cty.MustParseNumberVal("12345678901234567890123")},
		"implied type": {`{"title": "x", "tags": ["a", 1], "ok": true}`, ``,
			cty.ObjectVal(map[string]cty.Value{
				"title": cty.StringVal("x"),
				"tags":  cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)}),
				"ok":    cty.True,
			})},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ty := cty.NilType
			if test.ty != "" {
				ty = structuredTestType(t, test.ty)
			}
			got, err := decodeResult(test.doc, ty)
			if err != nil {
				t.Fatalf("unexpected error: %s", err)
			}
			if !got.RawEquals(test.want) {
				t.Errorf("wrong value\ngot:  %#v\nwant: %#v", got, test.want)
			}
		})
	}
}

func TestDecodeResultErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		doc  string
		ty   cty.Type
		want string
	}{
		"wrong type": {`{"a": [1]}`, cty.Object(map[string]cty.Type{"a": cty.String}),
			`executor: decode answer: `},
		"not json": {`{`, cty.NilType, `executor: decode answer: `},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeResult(test.doc, test.ty)
			if err == nil {
				t.Fatalf("no error; got %#v", got)
			}
			if !strings.HasPrefix(err.Error(), test.want) {
				t.Errorf("wrong error\ngot:  %s\nwant: %s…", err, test.want)
			}
		})
	}
}

// TestStructuredSchemaRoundTrip checks that the schema planner.JSONSchemaOf
// makes for an HCL type compiles, accepts a matching answer, and that the
// answer decodes to a value of that type.
func TestStructuredSchemaRoundTrip(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ty  string
		doc string
	}{
		"summary": {`object({title = string, tags = list(string), score = optional(number)})`,
			`{"title": "HCL", "tags": ["config"], "score": null}`},
		"nested": {`object({items = list(object({name = string, meta = optional(object({n = number}))})), counts = map(number)})`,
			`{"items": [{"name": "a", "meta": {"n": 1}}, {"name": "b", "meta": null}], "counts": {"x": 2}}`},
		"tuple and set": {`tuple([string, set(number), bool])`,
			`["a", [1, 2], false]`},
		"list of strings": {`list(string)`, `["a", "b"]`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ty := structuredTestType(t, test.ty)
			schema, err := planner.JSONSchemaOf(ty)
			if err != nil {
				t.Fatal(err)
			}
			src, err := json.Marshal(schema)
			if err != nil {
				t.Fatal(err)
			}
			s, err := compileSchema(name, src)
			if err != nil {
				t.Fatalf("compile %s: %s", src, err)
			}
			if _, err := s.validate(test.doc); err != nil {
				t.Fatalf("validate against %s: %s", src, err)
			}
			got, err := decodeResult(test.doc, ty)
			if err != nil {
				t.Fatal(err)
			}
			if want := ty.WithoutOptionalAttributesDeep(); !got.Type().Equals(want) {
				t.Errorf("wrong type\ngot:  %#v\nwant: %#v", got.Type(), want)
			}
		})
	}
}

// TestStructuredSchemaRoundTripRejects checks that the strict schema refuses
// what decoding would otherwise accept loosely.
func TestStructuredSchemaRoundTripRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ty   string
		doc  string
		want string
	}{
		"required not given": {`object({a = string, b = optional(string)})`, `{"b": "x"}`,
			`at the top level: missing property 'a'`},
		"extra attribute": {`object({a = string})`, `{"a": "x", "b": 1}`,
			`at the top level: additional properties 'b' not allowed`},
		"duplicate in set": {`set(string)`, `["a", "a"]`,
			`at the top level: items at 0 and 1 are equal`},
		"tuple too long": {`tuple([string])`, `["a", "b"]`,
			`at the top level: maxItems: got 2, want 1`},
		"optional complex wrong": {`object({m = optional(object({n = number}))})`, `{"m": "x"}`,
			"- at /m: got string, want null\n- at /m: got string, want object"},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			schema, err := planner.JSONSchemaOf(structuredTestType(t, test.ty))
			if err != nil {
				t.Fatal(err)
			}
			src, _ := json.Marshal(schema)
			s, err := compileSchema(name, src)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.validate(test.doc)
			if err == nil || !strings.HasSuffix(err.Error(), test.want) {
				t.Errorf("wrong error\ngot:  %v\nwant: …%s", err, test.want)
			}
		})
	}
}

// structuredTestType parses an HCL type expression as config does.
func structuredTestType(t *testing.T, src string) cty.Type {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %s", src, diags.Error())
	}
	ty, _, diags := typeexpr.TypeConstraintWithDefaults(expr)
	if diags.HasErrors() {
		t.Fatalf("type %q: %s", src, diags.Error())
	}
	return ty
}
