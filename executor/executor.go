package executor

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// ChatClient sends one chat completion request, whole or streamed.
type ChatClient interface {
	Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
	ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error)
}

// DefaultParallelism is how many calls may be in flight at once by default.
const DefaultParallelism = 10

// Options configure a run.
type Options struct {
	// Parallelism bounds the calls in flight; DefaultParallelism when < 1.
	Parallelism int
	// Client returns the client for a model's requests.
	Client func(*planner.Model) ChatClient
	// Offline marks recorded responses as the offline model's.
	Offline bool
	// Store records each finished instance durably as it finishes; Run
	// commits it at the end. Required.
	Store state.Writer
	// Hook receives progress events; NopHook when nil.
	Hook Hook
	// CallContext bounds requests in flight. Cancelling Run's context
	// stops new requests from starting: queued calls are dropped, a call
	// waiting to retry (a backoff, or a wait the gateway asked for) ends
	// at once and its step is reported interrupted, and a client-mode
	// fallback chain does not move on; the requests on the network are
	// waited for. Cancelling CallContext also abandons those. Run's
	// context is used when nil.
	CallContext context.Context
	// Limits paces calls per model (max_concurrency, requests_per_minute
	// and the gateway's rate-limit answers); new limits when nil.
	Limits *Limits
	// Budget is the most the run may spend, in USD; no limit when nil.
	// Every request (tool rounds, schema retries and fallbacks included)
	// goes out only when what the run spent so far, the upper bound of
	// every request in flight and its own stay within it; the first that
	// would not is refused, its instance skipped, and no call starts after
	// it. Its models must be priced and their answers' length bounded.
	// An offline run ignores it.
	Budget *float64
}

// Result is what a run did.
type Result struct {
	Outputs     map[string]cty.Value
	Diagnostics hcl.Diagnostics
	Called      int // instances answered by a model and recorded
	Reused      int // instances whose recorded response was re-used
	Failed      int
	// Unrecorded counts instances answered by a model whose answer could
	// not be recorded (the state could not be saved): paid for, and lost.
	Unrecorded  int
	Skipped     int
	Interrupted bool
	// Unsaved is true when the state could not be written: the run stopped
	// starting calls, and answers received since the failure are lost.
	Unsaved bool
	// Halted says why the run stopped starting calls before the end (the
	// state could not be saved, the gateway refused the key, "budget"),
	// or "".
	Halted string
	// Budget is what the run spent of Options.Budget; nil without one.
	Budget *BudgetUse
}

// Run applies the plan. A scheduler starts every node once all its
// dependencies have finished: locals, outputs and the rendering of requests
// happen at once, and calls go into a queue ordered by graph position and
// instance key, from which at most Parallelism run at a time. A failed
// node's dependents are skipped; every finished instance is saved to the
// state at once. At the end dropped instances are removed from the state and
// outputs recorded. Run returns when nothing is in flight.
func Run(ctx context.Context, plan *planner.Plan, opts Options) *Result {
	if opts.Parallelism < 1 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Hook == nil {
		opts.Hook = NopHook{}
	}
	if opts.CallContext == nil {
		opts.CallContext = ctx
	}
	if opts.Limits == nil {
		opts.Limits = NewLimits()
	}
	opts.Limits.watch(opts.Hook)
	if err := moveRecords(plan, opts.Store); err != nil {
		return &Result{Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot save state",
			Detail: err.Error() + ". Nothing was run; records not moved yet keep their old addresses, and the next apply moves them."}}, Unsaved: true}
	}
	s := newScheduler(ctx, plan, opts.Store.State(), opts)
	s.loop()
	s.workers.stop()
	s.finish()
	s.res.Budget = s.budget.use(s.res.Skipped)
	return &s.res
}

// moveRecords carries the records that the plan's moved blocks name to
// their new addresses before anything runs, each written at its new
// address before it is removed from its old one.
func moveRecords(plan *planner.Plan, store state.Writer) error {
	for _, mv := range plan.Moves {
		if err := store.Record(mv.Rec); err != nil {
			return err
		}
		if err := store.Remove(mv.From); err != nil {
			return err
		}
	}
	return nil
}
