package gateway

import (
	"reflect"
	"strings"
	"sync"
)

var fieldNames sync.Map // reflect.Type -> map[string]bool

// knownField reports whether the struct v declares a JSON field named key.
func knownField(v any, key string) bool {
	t := reflect.TypeOf(v)
	if cached, ok := fieldNames.Load(t); ok {
		return cached.(map[string]bool)[key]
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	fieldNames.Store(t, names)
	return names[key]
}

// RequestFields lists the top-level request fields that Request models
// directly; anything else goes through Extra.
func RequestFields() []string {
	t := reflect.TypeOf(Request{})
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
