package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestJSONSchemaOf(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string
	}{
		"string": {`string`, `{"type":"string"}`},
		"number": {`number`, `{"type":"number"}`},
		"bool":   {`bool`, `{"type":"boolean"}`},
		"list":   {`list(string)`, `{"type":"array","items":{"type":"string"}}`},
		"set":    {`set(number)`, `{"type":"array","items":{"type":"number"},"uniqueItems":true}`},
		"map":    {`map(bool)`, `{"type":"object","additionalProperties":{"type":"boolean"}}`},
		"tuple": {`tuple([string, number])`,
			`{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}],"minItems":2,"maxItems":2}`},
		"empty tuple": {`tuple([])`, `{"type":"array","prefixItems":[],"minItems":0,"maxItems":0}`},
		"object": {`object({title = string, tags = list(string)})`, `{
			"type":"object",
			"properties":{"tags":{"type":"array","items":{"type":"string"}},"title":{"type":"string"}},
			"required":["tags","title"],
			"additionalProperties":false}`},
		"empty object": {`object({})`,
			`{"type":"object","properties":{},"required":[],"additionalProperties":false}`},
		"optional primitive": {`object({title = string, score = optional(number)})`, `{
			"type":"object",
			"properties":{"score":{"type":["number","null"]},"title":{"type":"string"}},
			"required":["title"],
			"additionalProperties":false}`},
		"optional with default": {`object({lang = optional(string, "en")})`, `{
			"type":"object",
			"properties":{"lang":{"type":["string","null"]}},
			"required":[],
			"additionalProperties":false}`},
		"optional complex": {`object({tags = optional(list(string))})`, `{
			"type":"object",
			"properties":{"tags":{"anyOf":[{"type":"array","items":{"type":"string"}},{"type":"null"}]}},
			"required":[],
			"additionalProperties":false}`},
		"nested": {`list(object({name = string, meta = object({n = optional(number)})}))`, `{
			"type":"array",
			"items":{
				"type":"object",
				"properties":{
					"meta":{"type":"object","properties":{"n":{"type":["number","null"]}},"required":[],"additionalProperties":false},
					"name":{"type":"string"}},
				"required":["meta","name"],
				"additionalProperties":false}}`},
		"map of objects": {`map(object({ok = bool}))`, `{
			"type":"object",
			"additionalProperties":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}}`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := JSONSchemaOf(schemaTestType(t, test.src))
			if err != nil {
				t.Fatalf("unexpected error: %s", err)
			}
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(test.want)); err != nil {
				t.Fatal(err)
			}
			// Marshal the wanted text through a map too, so key order agrees.
			var wantVal any
			if err := json.Unmarshal(want.Bytes(), &wantVal); err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.Marshal(wantVal)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("wrong schema\ngot:  %s\nwant: %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestJSONSchemaOfErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ty   cty.Type
		want string
	}{
		"any": {
			cty.DynamicPseudoType,
			"planner: a schema type must not contain any",
		},
		"any in list": {
			cty.List(cty.DynamicPseudoType),
			"planner: a schema type must not contain any (at [*])",
		},
		"any in object": {
			cty.Object(map[string]cty.Type{"meta": cty.Map(cty.DynamicPseudoType)}),
			"planner: a schema type must not contain any (at meta[*])",
		},
		"any in tuple": {
			cty.Tuple([]cty.Type{cty.String, cty.DynamicPseudoType}),
			"planner: a schema type must not contain any (at [1])",
		},
		"capsule": {
			cty.Object(map[string]cty.Type{"c": cty.Capsule("thing", nil)}),
			"planner: type thing has no JSON Schema (at c)",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := JSONSchemaOf(test.ty)
			if err == nil {
				t.Fatalf("no error; got schema %v", got)
			}
			if got != nil {
				t.Errorf("wrong schema with error\ngot:  %v\nwant: nil", got)
			}
			if err.Error() != test.want {
				t.Errorf("wrong error\ngot:  %s\nwant: %s", err, test.want)
			}
		})
	}
}

func TestJSONSchemaOfAnySentinel(t *testing.T) {
	t.Parallel()
	_, err := JSONSchemaOf(schemaTestType(t, `object({x = list(any)})`))
	if !errors.Is(err, errAnyInSchema) {
		t.Errorf("wrong error\ngot:  %v\nwant: %v", err, errAnyInSchema)
	}
}

// schemaTestType parses an HCL type expression as config does.
func schemaTestType(t *testing.T, src string) cty.Type {
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
