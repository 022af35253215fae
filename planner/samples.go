package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// MaxRepeat is the most samples repeat may ask of each instance.
const MaxRepeat = 1000

// expandSamples turns each instance of a step with repeat = N into N
// samples, addressed ADDR (the first) and ADDR#1 to ADDR#N-1, in instance
// order. repeat may differ per instance (it sees each and count), and must
// be known when the plan is made. Without repeat the instances are
// returned as they are.
func expandSamples(s *config.Step, refs []*config.Ref, scope *Scope, insts []*Instance) ([]*Instance, hcl.Diagnostics) {
	if s.Repeat == nil {
		return insts, nil
	}
	out := make([]*Instance, 0, len(insts))
	for _, inst := range insts {
		ctx := scope.EvalContext(refs, inst.Rep)
		v, diags := s.Repeat.Value(ctx)
		if diags.HasErrors() {
			return nil, diags
		}
		n, detail := repeatValue(v)
		if detail != "" {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Invalid repeat argument", Detail: detail,
				Subject: s.Repeat.Range().Ptr(), Expression: s.Repeat, EvalContext: ctx,
			}}
		}
		if len(out)+n > MaxInstances {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Too many samples",
				Detail: fmt.Sprintf("Step %q asks for more than %d samples in all (instances times repeat); a step may have at most %d. Split the work over several steps.",
					s.Name, MaxInstances, MaxInstances),
				Subject: s.Repeat.Range().Ptr(),
			}}
		}
		for k := range n {
			a := inst.Addr
			a.Sample = k
			out = append(out, newInstance(a, inst.Step, inst.Rep))
		}
	}
	return out, nil
}

// repeatValue checks an evaluated repeat: a known whole number from 1 to
// MaxRepeat that uses no sensitive value. detail is "" when n is usable,
// else why it is not.
func repeatValue(v cty.Value) (n int, detail string) {
	switch {
	case v.ContainsMarked():
		return 0, sensitiveRepetition("repeat", "the number of samples decides the sample addresses, which plans, progress and the state show.")
	case !v.IsWhollyKnown():
		return 0, "The repeat value depends on a step that has not run yet, so it cannot be known when the plan is made."
	case v.IsNull():
		return 0, "repeat must not be null: give a whole number, 1 or more."
	}
	num, err := convert.Convert(v, cty.Number)
	if err != nil || num.IsNull() {
		return 0, fmt.Sprintf("repeat must be a whole number, 1 or more, not a %s.", v.Type().FriendlyName())
	}
	f := num.AsBigFloat()
	switch {
	case !f.IsInt() || f.Sign() <= 0:
		return 0, fmt.Sprintf("repeat must be a whole number, 1 or more, not %s.", numberText(f))
	case f.Cmp(big.NewFloat(MaxRepeat)) > 0:
		return 0, fmt.Sprintf("repeat asks for %s samples of each instance; the most is %d.", numberText(f), MaxRepeat)
	}
	i, _ := f.Int64()
	return int(i), ""
}

// SampleHash is the identity of sample n of a request whose identity is
// hash: the first sample (0) is the request's own identity, so adding
// repeat to a step keeps its recorded answer as the first sample; sample
// n > 0 is "sha256:" and the hex SHA-256 of hash followed by "#n". Two
// samples of one request are thus never one recorded answer.
func SampleHash(hash string, n int) string {
	if n == 0 {
		return hash
	}
	sum := sha256.Sum256([]byte(hash + "#" + strconv.Itoa(n)))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// sampleAttrs are the attributes of each element of step.NAME.samples.
var sampleAttrs = []string{"output", "result", "tool_calls", "usage", "asserts"}

// withSamples sets the samples attribute of every instance value: the
// first sample's value is the instance's, and samples lists every sample's
// output, result, tool_calls, usage and asserts. insts and vals hold the
// samples of each instance one after another, as expandSamples makes them.
func withSamples(insts []*Instance, vals []cty.Value) ([]*Instance, []cty.Value) {
	var outInsts []*Instance
	var outVals []cty.Value
	for i := 0; i < len(insts); {
		j := i + 1
		for j < len(insts) && insts[j].Addr.Sample != 0 {
			j++
		}
		if j == i+1 && hasOwnSample(vals[i]) {
			// One sample, whose value already lists itself.
			outInsts, outVals = append(outInsts, insts[i]), append(outVals, vals[i])
			i = j
			continue
		}
		samples := make([]cty.Value, 0, j-i)
		for _, v := range vals[i:j] {
			samples = append(samples, sampleValue(v))
		}
		outInsts = append(outInsts, insts[i])
		outVals = append(outVals, setAttr(vals[i], "samples", cty.TupleVal(samples)))
		i = j
	}
	return outInsts, outVals
}

// hasOwnSample reports whether an instance value carries its samples
// already (see ownSample): every value StepValue and UnknownStep make.
func hasOwnSample(v cty.Value) bool {
	if v.IsMarked() || !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute("samples") {
		return false
	}
	s := v.GetAttr("samples")
	return s.IsKnown() && !s.IsNull() && s.Type().IsTupleType()
}

// sampleValue is the element of samples for a sample's value.
func sampleValue(v cty.Value) cty.Value {
	if !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() {
		return cty.DynamicVal
	}
	attrs := map[string]cty.Value{}
	for _, name := range sampleAttrs {
		if v.Type().HasAttribute(name) {
			attrs[name] = v.GetAttr(name)
		}
	}
	return cty.ObjectVal(attrs)
}

// setAttr returns the object v with attribute name set to x; v unchanged
// when it is not a known object.
func setAttr(v cty.Value, name string, x cty.Value) cty.Value {
	if !v.IsKnown() || v.IsNull() || !v.Type().IsObjectType() {
		return v
	}
	v, marks := v.Unmark()
	attrs := v.AsValueMap()
	attrs[name] = x
	return cty.ObjectVal(attrs).WithMarks(marks)
}
