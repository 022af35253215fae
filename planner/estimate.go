package planner

import "github.com/promptform/promptform/state"

// CostEstimate is what a plan expects its calls to cost, in USD: the
// instances that will run (+, ~) and those that may (?), at the price of
// their model. An offline plan costs nothing.
type CostEstimate struct {
	// Expected is the sum of the priced instances' expected costs; Max
	// the sum of their upper bounds.
	Expected, Max float64
	// Calls counts the instances that may call a model, priced or not.
	Calls int
	// Unpriced lists the model ids, sorted, of instances that have no
	// price: they are not counted in Expected and Max.
	Unpriced []string
	// Unbounded lists the model ids, sorted, of priced instances whose
	// output has no upper bound (no max_tokens, no catalog limit): their
	// Max counts the expected output.
	Unbounded []string
	// Steps is the estimate per step, in plan order.
	Steps []StepCost
}

// StepCost is the estimate of one step's instances.
type StepCost struct {
	Step          string // step.NAME
	Expected, Max float64
	Calls         int
}

// InstanceCost is the estimate of one planned instance's call.
type InstanceCost struct {
	Model string // the model id the request is sent to
	// InputTokens is the input counted from the rendered request (or, for
	// a request not known yet, from its record or its known text);
	// OutputTokens the expected output, MaxOutputTokens its upper bound
	// (0: none).
	InputTokens, OutputTokens, MaxOutputTokens int
	// Expected and Max are in USD; both 0 when not Priced.
	Expected, Max float64
	Priced        bool
	Price         state.Price
}
