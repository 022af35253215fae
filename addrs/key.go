package addrs

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
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
		return "[" + numberText(k) + "]"
	}
}

// numberText spells a number key as Text('f', -1) does, whole numbers
// (count indexes) the fast way.
func numberText(k cty.Value) string {
	f := k.AsBigFloat()
	if i, acc := f.Int64(); acc == big.Exact {
		return strconv.FormatInt(i, 10)
	}
	return f.Text('f', -1)
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
		return json.RawMessage(numberText(k))
	}
}

// KeysEqual reports whether two instance keys are the same key: both
// NoKey, or of one type and equal.
func KeysEqual(a, b cty.Value) bool {
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

// KeyFromJSON reads an instance key as the state records it (keyJSON's
// spelling): a JSON string or number; NoKey for none. false when the JSON
// is neither.
func KeyFromJSON(b json.RawMessage) (cty.Value, bool) {
	if len(b) == 0 || string(b) == "null" {
		return NoKey, true
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return cty.StringVal(s), true
	}
	n, err := cty.ParseNumberVal(string(b))
	if err != nil {
		return NoKey, false
	}
	return n, true
}

// TraversalTarget reads a step address written in the configuration (as a
// moved block's from and to are): step.NAME or step.NAME[KEY], with no
// sample index.
func TraversalTarget(t hcl.Traversal) (Target, error) {
	bad := fmt.Errorf("%s is not a step address; use step.NAME or step.NAME[\"key\"]", TraversalText(t))
	return parseTraversal(t, bad)
}

// TraversalText spells a traversal as written: step.a.output,
// step.b["fr"].output, step.c[0].result; an index that is not a string or
// a number is left out.
func TraversalText(t hcl.Traversal) string {
	var sb strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(s.Name)
		case hcl.TraverseAttr:
			sb.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			if validKey(s.Key) {
				sb.WriteString(KeyString(s.Key))
			}
		}
	}
	return sb.String()
}
