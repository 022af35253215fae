package addrs

import (
	"encoding/json"

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
func (s Step) String() string { return s.Module.prefix() + keywordStep + "." + s.Name }

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
}

// String spells the address as HCL, the key quoted as Go quotes strings:
// step.a, step.a["k \"1\""], step.a[0], module.m["x"].step.a[0].
func (i StepInstance) String() string { return i.Step.String() + KeyString(i.Key) }

// KeyJSON returns the instance key as JSON (a string, or a number), or nil
// for NoKey.
func (i StepInstance) KeyJSON() json.RawMessage { return keyJSON(i.Key) }

// Equal reports whether two addresses name the same instance.
func (i StepInstance) Equal(o StepInstance) bool {
	return i.Step.Equal(o.Step) && keysEqual(i.Key, o.Key)
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
func (n Node) String() string { return n.Module.prefix() + n.Kind.String() + "." + n.Name }
