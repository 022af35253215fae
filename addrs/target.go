package addrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Target is a step address given on the command line: a whole step,
// step.NAME, which selects every instance of it, or one instance,
// step.NAME["key"] or step.NAME[0]; either after a module path. A module
// address alone, module.NAME or module.NAME["key"], selects every step
// in the module (and in the modules it calls); its Step.Name is "".
type Target struct {
	Step Step
	Key  cty.Value // NoKey: the whole step
	// Sampled narrows the target to one sample, Sample, of a step with
	// repeat: step.NAME["key"]#2, or #0 for the first. A target without
	// one names every sample.
	Sampled bool
	Sample  int
}

// String spells the target as HCL, as StepInstance spells the instance it
// names: spaces and other spellings of one key are gone.
func (t Target) String() string {
	if t.IsModule() {
		return t.Step.Module.String()
	}
	s := t.Step.String() + KeyString(t.Key)
	if t.Sampled {
		s += "#" + strconv.Itoa(t.Sample)
	}
	return s
}

// IsModule reports whether the target is a module address: every step
// in the module instance, or in every instance of a call without a key.
func (t Target) IsModule() bool { return t.Step.Name == "" && !t.Step.Module.IsRoot() }

// Whole reports whether the target names every instance of its step, and
// every sample.
func (t Target) Whole() bool { return t.Key == NoKey && !t.Sampled }

// Matches reports whether the target names the instance i: i is an
// instance of the target's step (in any instance of a module call the
// target names without a key); when the target has a key, the instance
// with that key; when it has a sample index, that sample. A module target
// matches every instance in the module.
func (t Target) Matches(i StepInstance) bool {
	if t.IsModule() {
		return i.Step.Module.Within(t.Step.Module)
	}
	if t.Step.Name != i.Step.Name || len(t.Step.Module) != len(i.Step.Module) || !i.Step.Module.Within(t.Step.Module) || t.Sampled && t.Sample != i.Sample {
		return false
	}
	return t.Key == NoKey || i.Key != NoKey && KeysEqual(t.Key, i.Key)
}

// ParseTarget reads a step address given on the command line, in HCL
// syntax: step.NAME, step.NAME["key"], step.NAME[0], each after any number
// of module calls, module.NAME or module.NAME["key"]. A key is a string or
// a number. A sample of a step with repeat follows as #N, #0 the first.
// Anything else is an error that quotes s and says what to write.
func ParseTarget(s string) (Target, error) {
	bad := fmt.Errorf("%q is not a step address; use step.NAME, step.NAME[\"key\"], module.NAME, module.NAME.step.NAME, or for one sample of a step with repeat step.NAME[\"key\"]#N", s)
	text, sample, sampled := cutSample(s) // #0, the first sample, too
	text = strings.TrimRight(text, " \t")
	t, diags := hclsyntax.ParseTraversalAbs([]byte(text), "", hcl.InitialPos)
	// HCL reads a # as the start of a comment: the traversal must be
	// the whole text.
	if diags.HasErrors() || len(t) == 0 || t.SourceRange().End.Byte != len(text) {
		return Target{}, bad
	}
	target, err := parseTraversal(t, bad)
	target.Sample, target.Sampled = sample, sampled
	return target, err
}

// TargetOf reads a step address written as a reference in HCL (step.NAME,
// step.NAME["key"], module.NAME.step.NAME, ...), as ParseTarget reads its
// text: a key is taken as the value it is, whatever it spells.
func TargetOf(t hcl.Traversal) (Target, error) {
	return parseTraversal(t, fmt.Errorf("%s is not a step address; use step.NAME, step.NAME[\"key\"], module.NAME or module.NAME.step.NAME", TraversalText(t)))
}

// parseTraversal reads a step address as ParseTarget does, without a
// sample index.
func parseTraversal(t hcl.Traversal, bad error) (Target, error) {
	var mod Module
	for keyword := t.RootName(); ; {
		call, rest, ok := nameAndKey(t[1:])
		switch {
		case !ok:
			return Target{}, bad
		case keyword == keywordStep && len(rest) == 0:
			return Target{Step: Step{Module: mod, Name: call.Name}, Key: call.Key}, nil
		case keyword == keywordModule && len(rest) == 0:
			return Target{Step: Step{Module: append(mod, call)}}, nil
		case keyword != keywordModule:
			return Target{}, bad
		}
		mod = append(mod, call)
		attr, ok := rest[0].(hcl.TraverseAttr)
		if !ok {
			return Target{}, bad
		}
		keyword, t = attr.Name, rest
	}
}

// nameAndKey reads NAME or NAME[KEY] at the start of t, the rest of an
// address after its keyword, and returns what follows.
func nameAndKey(t hcl.Traversal) (ModuleCall, hcl.Traversal, bool) {
	if len(t) == 0 {
		return ModuleCall{}, nil, false
	}
	attr, ok := t[0].(hcl.TraverseAttr)
	if !ok {
		return ModuleCall{}, nil, false
	}
	call, rest := ModuleCall{Name: attr.Name}, t[1:]
	if len(rest) > 0 {
		if idx, ok := rest[0].(hcl.TraverseIndex); ok {
			if !validKey(idx.Key) {
				return ModuleCall{}, nil, false
			}
			call.Key, rest = idx.Key, rest[1:]
		}
	}
	return call, rest, true
}
