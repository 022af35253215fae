package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// errAnyInSchema is returned, wrapped with the offending location, when a
// schema type contains the dynamic pseudo-type any.
var errAnyInSchema = errors.New("planner: a schema type must not contain any")

// JSONSchemaOf converts an HCL type constraint, as produced by
// typeexpr.TypeConstraint or typeexpr.TypeConstraintWithDefaults, into a
// strict JSON Schema in the draft 2020-12 vocabulary. The result carries no
// "$schema" key, is a fresh value the caller may modify, and marshals
// deterministically.
//
// The mapping is: string, number and bool to the JSON types "string",
// "number" and "boolean"; list(T) to an array of T, set(T) to an array of
// unique T; tuple([A, B]) to an array with prefixItems and a fixed length;
// map(T) to an object whose additionalProperties are T; object({...}) to an
// object with properties, required and additionalProperties false.
//
// Every attribute of an object is listed in required (sorted) except the
// optional(...) ones, as the language defines them; an optional attribute is also
// nullable, with {"type": ["string", "null"]} for a primitive and
// {"anyOf": [S, {"type": "null"}]} for anything else, so a model may leave
// it out or answer null. The executor decodes either to a null of the
// attribute's type; defaults from optional(T, default) are applied by the
// caller afterwards.
//
// A type that contains any (cty.DynamicPseudoType) or a capsule type has no
// strict schema; JSONSchemaOf then returns a nil map and an error naming where
// in the type it was found.
func JSONSchemaOf(ty cty.Type) (map[string]any, error) {
	return schemaOf(ty, "")
}

// schemaOf converts ty, found at path (in HCL traversal spelling, "" for the
// top level), into a JSON Schema. It is a flat dispatch on the type's kind.
func schemaOf(ty cty.Type, path string) (map[string]any, error) {
	switch {
	case ty == cty.DynamicPseudoType:
		return nil, fmt.Errorf("%w%s", errAnyInSchema, atSchemaPath(path))
	case ty == cty.String:
		return map[string]any{"type": "string"}, nil
	case ty == cty.Number:
		return map[string]any{"type": "number"}, nil
	case ty == cty.Bool:
		return map[string]any{"type": "boolean"}, nil
	case ty.IsListType():
		return arraySchemaOf(ty.ElementType(), path, false)
	case ty.IsSetType():
		return arraySchemaOf(ty.ElementType(), path, true)
	case ty.IsMapType():
		elem, err := schemaOf(ty.ElementType(), path+"[*]")
		if err != nil {
			return nil, err
		}
		return map[string]any{"type": "object", "additionalProperties": elem}, nil
	case ty.IsTupleType():
		return tupleSchemaOf(ty.TupleElementTypes(), path)
	case ty.IsObjectType():
		return objectSchemaOf(ty, path)
	default:
		return nil, fmt.Errorf("planner: type %s has no JSON Schema%s", ty.FriendlyName(), atSchemaPath(path))
	}
}

// arraySchemaOf is the schema of a list, or of a set when unique is true.
func arraySchemaOf(elemTy cty.Type, path string, unique bool) (map[string]any, error) {
	elem, err := schemaOf(elemTy, path+"[*]")
	if err != nil {
		return nil, err
	}
	s := map[string]any{"type": "array", "items": elem}
	if unique {
		s["uniqueItems"] = true
	}
	return s, nil
}

// tupleSchemaOf is the schema of a tuple: a fixed-length array whose items
// have the element types in order.
func tupleSchemaOf(elemTys []cty.Type, path string) (map[string]any, error) {
	prefix := make([]any, 0, len(elemTys))
	for i, elemTy := range elemTys {
		elem, err := schemaOf(elemTy, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		prefix = append(prefix, elem)
	}
	return map[string]any{
		"type":        "array",
		"prefixItems": prefix,
		"minItems":    len(elemTys),
		"maxItems":    len(elemTys),
	}, nil
}

// objectSchemaOf is the strict schema of an object type: every attribute but
// the optional ones is required, optional ones are nullable, and no other
// property is allowed.
func objectSchemaOf(ty cty.Type, path string) (map[string]any, error) {
	attrTys := ty.AttributeTypes()
	names := make([]string, 0, len(attrTys))
	for name := range attrTys {
		names = append(names, name)
	}
	sort.Strings(names)

	props := make(map[string]any, len(names))
	required := []string{}
	for _, name := range names {
		prop, err := schemaOf(attrTys[name], path+"."+name)
		if err != nil {
			return nil, err
		}
		if ty.AttributeOptional(name) {
			prop = nullable(prop)
		} else {
			required = append(required, name)
		}
		props[name] = prop
	}
	return map[string]any{
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}, nil
}

// nullable returns a schema that accepts what s accepts, and null.
func nullable(s map[string]any) map[string]any {
	if t, ok := s["type"].(string); ok && len(s) == 1 {
		return map[string]any{"type": []any{t, "null"}}
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// atSchemaPath spells a location inside a type for an error message: empty
// at the top level, else " (at meta.tags[*])".
func atSchemaPath(path string) string {
	if path == "" {
		return ""
	}
	return " (at " + strings.TrimPrefix(path, ".") + ")"
}
