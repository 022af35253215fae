package addrs

import (
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// ModuleCall is one element of a module path: the name of a module call,
// with the instance key when the call has for_each or count.
type ModuleCall struct {
	Name string
	Key  cty.Value // NoKey for a call without for_each or count
}

// String spells the call as HCL: module.NAME or module.NAME["key"].
func (c ModuleCall) String() string {
	return keywordModule + "." + c.Name + KeyString(c.Key)
}

// Module is the path of module calls from the root module to a module
// instance; it is empty (nil) for the root module, which is the only one
// until modules exist.
type Module []ModuleCall

// RootModule is the address of the root module.
var RootModule Module

// IsRoot reports whether m is the root module.
func (m Module) IsRoot() bool { return len(m) == 0 }

// String spells the path as HCL, module.a["k"].module.b; it is "" for the
// root module.
func (m Module) String() string {
	parts := make([]string, len(m))
	for i, c := range m {
		parts[i] = c.String()
	}
	return strings.Join(parts, ".")
}

// Equal reports whether two paths name the same module instance.
func (m Module) Equal(o Module) bool {
	if len(m) != len(o) {
		return false
	}
	for i := range m {
		if m[i].Name != o[i].Name || !KeysEqual(m[i].Key, o[i].Key) {
			return false
		}
	}
	return true
}

// Prefix returns the path as the start of an address in the module:
// "module.a." or, for the root module, "".
func (m Module) Prefix() string {
	if m.IsRoot() {
		return ""
	}
	return m.String() + "."
}

// Within reports whether the module instance m is o or inside it, where a
// call of o without a key stands for every instance of that call:
// module.a["x"].module.b is within module.a and within module.a["x"].
func (m Module) Within(o Module) bool {
	if len(m) < len(o) {
		return false
	}
	for i, c := range o {
		if m[i].Name != c.Name || c.Key != NoKey && !KeysEqual(m[i].Key, c.Key) {
			return false
		}
	}
	return true
}

// Calls returns the module path without instance keys: the calls by name,
// which name the module's configuration.
func (m Module) Calls() []string {
	names := make([]string, len(m))
	for i, c := range m {
		names[i] = c.Name
	}
	return names
}
