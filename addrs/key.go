package addrs

import (
	"encoding/json"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

// NoKey is the instance key of a step or module call without for_each or
// count.
var NoKey = cty.NilVal

// KeyString spells an instance key as an index: ["k"] for a string (quoted
// as Go quotes it), [0] for a number, and nothing for NoKey. The state's
// addresses depend on this spelling: it never changes.
func KeyString(k cty.Value) string {
	switch {
	case k == NoKey:
		return ""
	case k.Type() == cty.String:
		return "[" + strconv.Quote(k.AsString()) + "]"
	default:
		return "[" + k.AsBigFloat().Text('f', -1) + "]"
	}
}

// keyJSON returns an instance key as JSON, or nil for NoKey.
func keyJSON(k cty.Value) json.RawMessage {
	switch {
	case k == NoKey:
		return nil
	case k.Type() == cty.String:
		b, _ := json.Marshal(k.AsString()) // a string always encodes
		return b
	default:
		return json.RawMessage(k.AsBigFloat().Text('f', -1))
	}
}

// keysEqual reports whether two instance keys are the same key: both
// NoKey, or of one type and equal.
func keysEqual(a, b cty.Value) bool {
	if a == NoKey || b == NoKey {
		return a == NoKey && b == NoKey
	}
	return a.Type().Equals(b.Type()) && a.Equals(b).True()
}

// validKey reports whether k can be an instance key: a known, non-null
// string or number.
func validKey(k cty.Value) bool {
	return k.IsKnown() && !k.IsNull() && (k.Type() == cty.String || k.Type() == cty.Number)
}
