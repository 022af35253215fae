package planner

import (
	"encoding/json"

	"github.com/promptform/promptform/state"
)

// CostEstimate is what a plan expects its calls to cost, in USD: the
// instances that will run (+, ~) and those that may (?), at the price of
// their model. An offline plan costs nothing.
type CostEstimate struct {
	// Expected is the sum of the priced instances' expected costs; Max
	// the sum of their upper bounds.
	Expected float64 `json:"expected_usd"`
	Max      float64 `json:"max_usd"`
	// Calls counts the instances that may call a model, priced or not.
	Calls int `json:"calls"`
	// Unpriced lists the model ids, sorted, of instances that have no
	// price: they are not counted in Expected and Max.
	Unpriced []string `json:"unpriced,omitempty"`
	// Unbounded lists the model ids, sorted, of priced instances whose
	// output has no upper bound (no max_tokens, no catalog limit): their
	// Max counts the expected output.
	Unbounded []string `json:"unbounded,omitempty"`
	// Offline is true when the calls go to the offline model, which costs
	// nothing: Expected and Max are 0.
	Offline bool `json:"offline,omitempty"`
	// Steps is the estimate per step, in plan order.
	Steps []StepCost `json:"steps,omitempty"`
}

// StepCost is the estimate of one step's instances.
type StepCost struct {
	Step     string  `json:"step"` // step.NAME
	Expected float64 `json:"expected_usd"`
	Max      float64 `json:"max_usd"`
	Calls    int     `json:"calls"`
	// Unpriced counts the calls among Calls that have no price.
	Unpriced int `json:"unpriced,omitempty"`
	// ExtraCalls is true when the step may make calls the estimate does
	// not count: tool rounds after the first call, or output_retries.
	ExtraCalls bool `json:"extra_calls,omitempty"`
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

// instanceCostJSON is how an InstanceCost is written: in -json plans
// (planned_step.cost) and saved plans.
type instanceCostJSON struct {
	Model           string       `json:"model"`
	Expected        float64      `json:"expected_usd"`
	Max             float64      `json:"max_usd"`
	InputTokens     int          `json:"input_tokens"`
	OutputTokens    int          `json:"output_tokens"`
	MaxOutputTokens int          `json:"max_output_tokens"`
	Priced          bool         `json:"priced"`
	Price           *state.Price `json:"price,omitempty"`
}

// MarshalJSON writes the estimate with its price only when it is priced.
func (c InstanceCost) MarshalJSON() ([]byte, error) {
	j := instanceCostJSON{Model: c.Model, Expected: c.Expected, Max: c.Max, InputTokens: c.InputTokens,
		OutputTokens: c.OutputTokens, MaxOutputTokens: c.MaxOutputTokens, Priced: c.Priced}
	if c.Priced {
		price := c.Price
		j.Price = &price
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (c *InstanceCost) UnmarshalJSON(b []byte) error {
	var j instanceCostJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = InstanceCost{Model: j.Model, Expected: j.Expected, Max: j.Max, InputTokens: j.InputTokens,
		OutputTokens: j.OutputTokens, MaxOutputTokens: j.MaxOutputTokens, Priced: j.Priced}
	if j.Price != nil {
		c.Price = *j.Price
	}
	return nil
}
