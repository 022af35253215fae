package planner

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// MaxInstances is the most instances a step may have, through count or
// for_each. It keeps a plan's memory bounded while leaving room for large
// evaluations; a count or for_each above it is an error on its expression,
// found before any instance is made.
const MaxInstances = 100_000

// countValue checks an evaluated count: a known whole number from zero to
// MaxInstances. detail is "" when n is usable, else why it is not.
func countValue(v cty.Value) (n int, detail string) {
	if !v.IsWhollyKnown() {
		return 0, "The count value depends on a step that has not run yet, so it cannot be known when the plan is made."
	}
	if v.IsNull() {
		return 0, "count must not be null: give a whole number, zero or more."
	}
	num, err := convert.Convert(v, cty.Number)
	if err != nil || num.IsNull() {
		return 0, fmt.Sprintf("count must be a whole number, zero or more, not a %s.", v.Type().FriendlyName())
	}
	f := num.AsBigFloat()
	switch {
	case !f.IsInt():
		return 0, fmt.Sprintf("count must be a whole number, not %s.", numberText(f))
	case f.Sign() < 0:
		return 0, fmt.Sprintf("count must be a whole number, zero or more, not %s.", numberText(f))
	case f.Cmp(big.NewFloat(MaxInstances)) > 0:
		return 0, fmt.Sprintf("count asks for %s instances; a step may have at most %d. Split the work over several steps, each with its own count or for_each.",
			numberText(f), MaxInstances)
	}
	i, _ := f.Int64()
	return int(i), ""
}

// forEachTooLarge returns why a for_each collection of n elements is too
// large, or "".
func forEachTooLarge(n int) string {
	if n <= MaxInstances {
		return ""
	}
	return fmt.Sprintf("The for_each value has %d elements; a step may have at most %d instances. Split the work over several steps, each with its own count or for_each.",
		n, MaxInstances)
}

// numberText spells a number for a message: whole numbers in full up to
// 10^21, others in the shortest form that reads back the same.
func numberText(f *big.Float) string {
	if f.IsInt() && f.MantExp(nil) <= 70 {
		return f.Text('f', 0)
	}
	return f.Text('g', -1)
}

// interrupted is the error of a plan whose context is done.
func interrupted(ctx context.Context) hcl.Diagnostics {
	if ctx.Err() == nil {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Planning interrupted",
		Detail:   "Planning stopped before every step was planned. Nothing was run or recorded.",
	}}
}
