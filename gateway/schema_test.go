package gateway

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMinimalInstance(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		schema string
		want   string
	}{
		"empty":         {``, `null`},
		"true":          {`true`, `null`},
		"string":        {`{"type":"string"}`, `""`},
		"minLength":     {`{"type":"string","minLength":3}`, `"aaa"`},
		"date-time":     {`{"type":"string","format":"date-time"}`, `"1970-01-01T00:00:00Z"`},
		"integer":       {`{"type":"integer"}`, `0`},
		"minimum":       {`{"type":"integer","minimum":3}`, `3`},
		"exclusive min": {`{"type":"number","exclusiveMinimum":0}`, `1`},
		"draft4 excl":   {`{"type":"integer","minimum":2,"exclusiveMinimum":true}`, `3`},
		"negative max":  {`{"type":"number","maximum":-2.5}`, `-2.5`},
		"fraction min":  {`{"type":"integer","minimum":0.5}`, `1`},
		"boolean":       {`{"type":"boolean"}`, `false`},
		"null":          {`{"type":"null"}`, `null`},
		"type list":     {`{"type":["string","null"]}`, `""`},
		"enum":          {`{"type":"string","enum":["b","a"]}`, `"b"`},
		"const":         {`{"const":{"k":[1,2]}}`, `{"k":[1,2]}`},
		"big number":    {`{"const":12345678901234567890}`, `12345678901234567890`},
		"anyOf":         {`{"anyOf":[{"type":"integer"},{"type":"string"}]}`, `0`},
		"oneOf":         {`{"oneOf":[{"type":"boolean"},{"type":"string"}]}`, `false`},
		"array":         {`{"type":"array","items":{"type":"string"}}`, `[]`},
		"minItems":      {`{"type":"array","items":{"type":"integer"},"minItems":2}`, `[0,0]`},
		"prefixItems":   {`{"type":"array","prefixItems":[{"type":"string"},{"type":"boolean"}],"minItems":2}`, `["",false]`},
		"object": {
			`{"type":"object","properties":{"title":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"n":{"type":"integer"}},"required":["title"],"additionalProperties":false}`,
			`{"n":0,"tags":[],"title":""}`,
		},
		"required without property": {`{"type":"object","required":["x"]}`, `{"x":null}`},
		"implied object":            {`{"properties":{"a":{"type":"boolean"}}}`, `{"a":false}`},
		"defs ref": {
			`{"type":"object","properties":{"item":{"$ref":"#/$defs/Item"}},"required":["item"],"$defs":{"Item":{"type":"object","properties":{"id":{"type":"integer","minimum":1}},"required":["id"]}}}`,
			`{"item":{"id":1}}`,
		},
		"definitions ref": {`{"$ref":"#/definitions/A","definitions":{"A":{"enum":["x"]}}}`, `"x"`},
		"allOf merged": {
			`{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"type":"object","properties":{"b":{"type":"integer"}}}]}`,
			`{"a":"","b":0}`,
		},
		"recursive": {
			`{"$ref":"#/$defs/Node","$defs":{"Node":{"type":"object","properties":{"next":{"$ref":"#/$defs/Node"}},"required":["next"]}}}`,
			"", // only checks that it terminates
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := MinimalInstance(json.RawMessage(tc.schema))
			if err != nil {
				t.Fatalf("unexpected error: %s", err)
			}
			if tc.want != "" && string(got) != tc.want {
				t.Errorf("wrong instance\ngot:  %s\nwant: %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("instance is not valid JSON: %s", got)
			}
		})
	}
}

func TestMinimalInstanceErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		schema string
		want   string
	}{
		"not JSON":      {`{`, "gateway: schema: unexpected EOF"},
		"false schema":  {`false`, "gateway: schema: false schema has no instance"},
		"remote ref":    {`{"$ref":"https://example.com/s.json"}`, `gateway: schema: only local $ref is supported, not "https://example.com/s.json"`},
		"missing ref":   {`{"$ref":"#/$defs/Nope"}`, `gateway: schema: unresolvable $ref "#/$defs/Nope"`},
		"bad property":  {`{"properties":{"p":false}}`, `gateway: schema: false schema has no instance (property "p")`},
		"not an object": {`"string"`, "gateway: schema: want an object or a boolean, not string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := MinimalInstance(json.RawMessage(tc.schema))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("wrong error\ngot:  %v\nwant: %s", err, tc.want)
			}
		})
	}
}
