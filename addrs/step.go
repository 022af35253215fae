package addrs

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Step is the address of a step block: step.NAME in its module. It names
// every instance of the step.
type Step struct {
	Module Module
	Name   string
}

// String spells the address as HCL: step.NAME, or module.a.step.NAME in a
// module.
func (s Step) String() string { return s.Module.Prefix() + keywordStep + "." + s.Name }

// Equal reports whether two addresses name the same step.
func (s Step) Equal(o Step) bool { return s.Name == o.Name && s.Module.Equal(o.Module) }

// Node returns the address of the step's graph node.
func (s Step) Node() Node { return Node{Module: s.Module, Kind: KindStep, Name: s.Name} }

// Instance returns the address of the step's instance with key k (NoKey
// for a step without for_each or count).
func (s Step) Instance(k cty.Value) StepInstance { return StepInstance{Step: s, Key: k} }

// StepInstance is the address of one instance of a step: step.NAME for a
// step without for_each or count, step.NAME["key"] (for_each) or
// step.NAME[0] (count). It is the key of the instance's record in the state.
type StepInstance struct {
	Step Step
	Key  cty.Value // NoKey for a step without instances
	// Sample is the sample index of a step with repeat = N, from 0 to N-1.
	// Sample 0 is the instance itself; the others are spelled with a
	// #N suffix.
	Sample int
}

// String spells the address as HCL, the key quoted as Go quotes strings:
// step.a, step.a["k \"1\""], step.a[0], module.m["x"].step.a[0], and a
// sample after the first with its index: step.a["k"]#2.
func (i StepInstance) String() string {
	return i.Step.String() + KeyString(i.Key) + SampleSuffix(i.Sample)
}

// Instance returns the address of the instance a sample belongs to: the
// address without its sample index.
func (i StepInstance) Instance() StepInstance { i.Sample = 0; return i }

// SampleSuffix spells a sample index in an address: nothing for the first
// sample (0), #N for the others.
func SampleSuffix(n int) string {
	if n == 0 {
		return ""
	}
	return "#" + strconv.Itoa(n)
}

// SplitSample splits an instance address as String spells it into the
// instance's address and the sample index: step.a["k"]#2 gives step.a["k"]
// and 2; an address without a sample index gives itself and 0.
func SplitSample(addr string) (string, int) {
	if inst, n, ok := cutSample(addr); ok && n > 0 {
		return inst, n
	}
	return addr, 0
}

// cutSample cuts a sample index, #N with N a whole number spelt plainly,
// off the end of an address; false when there is none.
func cutSample(addr string) (string, int, bool) {
	i := strings.LastIndexByte(addr, '#')
	if i < 0 {
		return addr, 0, false
	}
	// A # inside a quoted key is followed by more of the key, never by
	// digits alone.
	n, err := strconv.Atoi(addr[i+1:])
	if err != nil || n < 0 || strconv.Itoa(n) != addr[i+1:] {
		return addr, 0, false
	}
	return addr[:i], n, true
}

// KeyJSON returns the instance key as JSON (a string, or a number), or nil
// for NoKey.
func (i StepInstance) KeyJSON() json.RawMessage { return keyJSON(i.Key) }

// Equal reports whether two addresses name the same instance.
func (i StepInstance) Equal(o StepInstance) bool {
	return i.Step.Equal(o.Step) && KeysEqual(i.Key, o.Key) && i.Sample == o.Sample
}

// Node is the address of a node of the dependency graph: a step (every
// instance of it), a local value, an output or a check, in its module:
// step.NAME, local.NAME, output.NAME, check.NAME. It is the key of the node
// in the graph.
type Node struct {
	Module Module
	Kind   Kind
	Name   string
}

// String spells the address as HCL: KIND.NAME, after the module path.
func (n Node) String() string { return n.Module.Prefix() + n.Kind.String() + "." + n.Name }

// StepOf returns the address of the step an instance address (as
// StepInstance.String spells it) belongs to: step.a for step.a["k"]#2,
// module.m["x"].step.a for module.m["x"].step.a[0]. What is not an
// instance address is returned as it is, less any sample index.
func StepOf(addr string) string {
	if strings.HasPrefix(addr, keywordStep+".") {
		// A step's name holds neither [ nor #: the first one starts the
		// key or the sample index.
		if i := strings.IndexAny(addr, "[#"); i >= 0 {
			return addr[:i]
		}
		return addr
	}
	inst, _ := SplitSample(addr) // inside a module: parsed
	if t, err := ParseTarget(inst); err == nil {
		return t.Step.String()
	}
	return inst
}
