package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// maxSchemaDepth stops the instance builder on recursive schemas.
const maxSchemaDepth = 32

// MinimalInstance returns a small JSON value that validates against the JSON
// Schema in schema, built deterministically: every declared property of an
// object (required or not), "" for strings (or enough "a"s for minLength, or
// a fixed value for a known format), 0 for numbers (or the bound that
// excludes 0), false, null, arrays of minItems elements, the first enum
// value, const, the first anyOf/oneOf branch, allOf branches merged, and
// local $ref pointers (#/$defs/..., #/definitions/...) resolved. Keywords it
// cannot satisfy by construction (pattern, multipleOf with a bound, not) are
// ignored. An empty schema gives null.
func MinimalInstance(schema json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return json.RawMessage("null"), nil
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("gateway: schema: %w", err)
	}
	b := instanceBuilder{root: root}
	v, err := b.build(root, 0)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("gateway: schema instance: %w", err)
	}
	return out, nil
}

// instanceBuilder walks one schema document.
type instanceBuilder struct{ root any }

// build returns an instance of schema s.
func (b instanceBuilder) build(s any, depth int) (any, error) {
	if depth > maxSchemaDepth {
		return nil, nil
	}
	switch s := s.(type) {
	case bool:
		if !s {
			return nil, errors.New("gateway: schema: false schema has no instance")
		}
		return nil, nil
	case map[string]any:
		return b.buildObject(s, depth)
	default:
		return nil, fmt.Errorf("gateway: schema: want an object or a boolean, not %T", s)
	}
}

// buildObject handles a schema object, keyword by keyword.
func (b instanceBuilder) buildObject(s map[string]any, depth int) (any, error) {
	if ref, ok := s["$ref"].(string); ok {
		target, err := b.resolve(ref)
		if err != nil {
			return nil, err
		}
		return b.build(target, depth+1)
	}
	if v, ok := s["const"]; ok {
		return v, nil
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0], nil
	}
	for _, kw := range []string{"anyOf", "oneOf"} {
		if branches, ok := s[kw].([]any); ok && len(branches) > 0 {
			return b.build(branches[0], depth+1)
		}
	}
	if branches, ok := s["allOf"].([]any); ok && len(branches) > 0 {
		return b.buildAllOf(s, branches, depth)
	}
	switch schemaType(s) {
	case "object":
		return b.buildProperties(s, depth)
	case "array":
		return b.buildArray(s, depth)
	case "string":
		return minimalString(s), nil
	case "integer":
		return minimalNumber(s, true), nil
	case "number":
		return minimalNumber(s, false), nil
	case "boolean":
		return false, nil
	default:
		return nil, nil
	}
}

// schemaType returns the schema's type: the first of a type list, or a type
// implied by other keywords, or "" for any.
func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if name, ok := e.(string); ok {
				return name
			}
		}
	}
	switch {
	case s["properties"] != nil || s["required"] != nil:
		return "object"
	case s["items"] != nil || s["prefixItems"] != nil:
		return "array"
	}
	return ""
}

// buildAllOf merges the instances of the branches (and of the rest of s,
// when it describes an object) if they are all objects; otherwise the first
// branch wins.
func (b instanceBuilder) buildAllOf(s map[string]any, branches []any, depth int) (any, error) {
	rest := make(map[string]any, len(s))
	for k, v := range s {
		if k != "allOf" {
			rest[k] = v
		}
	}
	parts := branches
	if schemaType(rest) == "object" {
		parts = append([]any{rest}, branches...)
	}
	merged := map[string]any{}
	for _, sub := range parts {
		v, err := b.build(sub, depth+1)
		if err != nil {
			return nil, err
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return b.build(branches[0], depth+1)
		}
		maps.Copy(merged, obj)
	}
	return merged, nil
}

// buildProperties returns an object with every declared property and every
// required one.
func (b instanceBuilder) buildProperties(s map[string]any, depth int) (any, error) {
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		v, err := b.build(props[name], depth+1)
		if err != nil {
			return nil, fmt.Errorf("%w (property %q)", err, name)
		}
		out[name] = v
	}
	required, _ := s["required"].([]any)
	for _, r := range required {
		name, ok := r.(string)
		if _, done := out[name]; !ok || done {
			continue
		}
		v, err := b.build(additional(s), depth+1)
		if err != nil {
			return nil, fmt.Errorf("%w (property %q)", err, name)
		}
		out[name] = v
	}
	return out, nil
}

// additional returns the schema of properties that are not declared.
func additional(s map[string]any) any {
	if a, ok := s["additionalProperties"].(map[string]any); ok {
		return a
	}
	return true
}

// buildArray returns an array of minItems elements (prefixItems first).
func (b instanceBuilder) buildArray(s map[string]any, depth int) (any, error) {
	n := int(number(s["minItems"], 0))
	prefix, _ := s["prefixItems"].([]any)
	if tuple, ok := s["items"].([]any); ok { // draft 4 tuple form
		prefix = tuple
	}
	out := []any{}
	for i := range n {
		var sub any = true
		switch items, ok := s["items"].(map[string]any); {
		case i < len(prefix):
			sub = prefix[i]
		case ok:
			sub = items
		}
		v, err := b.build(sub, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// resolve follows a local JSON pointer such as #/$defs/Item.
func (b instanceBuilder) resolve(ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("gateway: schema: only local $ref is supported, not %q", ref)
	}
	cur := b.root
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" && ptr == "" {
			break
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok || m[tok] == nil {
			return nil, fmt.Errorf("gateway: schema: unresolvable $ref %q", ref)
		}
		cur = m[tok]
	}
	return cur, nil
}

// minimalString returns "" or a value that satisfies minLength or format.
func minimalString(s map[string]any) string {
	switch s["format"] {
	case "date-time":
		return "1970-01-01T00:00:00Z"
	case "date":
		return "1970-01-01"
	case "time":
		return "00:00:00Z"
	case "email":
		return "offline@example.com"
	case "uri", "url":
		return "https://example.com/"
	case "uuid":
		return "00000000-0000-0000-0000-000000000000"
	}
	return strings.Repeat("a", int(number(s["minLength"], 0)))
}

// minimalNumber returns 0, or the nearest value the bounds allow.
func minimalNumber(s map[string]any, integer bool) json.Number {
	v := 0.0
	if lo := number(s["minimum"], math.Inf(-1)); lo > v {
		v = lo
	}
	if lo := number(s["exclusiveMinimum"], math.Inf(-1)); lo >= v {
		v = math.Floor(lo) + 1
	}
	if s["exclusiveMinimum"] == true && number(s["minimum"], math.Inf(-1)) == v { // draft 4
		v++
	}
	if hi := number(s["maximum"], math.Inf(1)); hi < v {
		v = hi
	}
	if hi := number(s["exclusiveMaximum"], math.Inf(1)); hi <= v {
		v = math.Ceil(hi) - 1
	}
	if integer {
		v = math.Ceil(v)
	}
	return json.Number(fmt.Sprint(v))
}

// number reads a JSON number keyword, or def when absent or not a number.
func number(v any, def float64) float64 {
	n, ok := v.(json.Number)
	if !ok {
		return def
	}
	f, err := n.Float64()
	if err != nil {
		return def
	}
	return f
}
