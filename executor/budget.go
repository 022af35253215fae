package executor

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// ErrBudget is the error of a request the run's budget refused: sending it
// could have cost more than what is left of the budget, or its cost has no
// bound. The run then starts no further call; the instance is skipped, not
// failed, and the next apply runs it.
var ErrBudget = errors.New("executor: the budget could be exceeded")

// haltBudget is why a run stopped at its budget, and why the instances it
// did not run are skipped.
const haltBudget = "budget"

// BudgetUse is what a run with a budget spent of it.
type BudgetUse struct {
	Budget float64 // the most the run could spend, in USD
	// Spent is what the answers of the run cost in USD, at the price of the
	// model that served each: every request answered, tool rounds and
	// schema retries included, recorded or not.
	Spent float64
	// Stopped is true when a request was refused: no call started after it.
	Stopped bool
	// NotRun counts the instances the run did not run (Result.Skipped) when
	// it stopped.
	NotRun int
}

// Reached reports whether the budget stopped the run; false for nil.
func (u *BudgetUse) Reached() bool { return u != nil && u.Stopped }

// Bounds of a request's input, in tokens, over the bytes of its JSON (a
// token stands for at least one byte of the text it encodes). Each message
// adds the tokens of the chat template that frames it; tools and schemas
// add the instructions a provider wraps around them.
const (
	requestOverhead = 64
	messageOverhead = 16
	toolsOverhead   = 1024
)

// budget holds a run's spending within a limit: before each request goes
// out it reserves the most the request may cost, and refuses it when what
// was spent, what requests in flight may cost and this one's bound would
// together exceed the limit; when the answer comes it replaces the
// reservation with the answer's cost. After the first refusal it refuses
// every request. A nil budget refuses nothing. It is safe for concurrent
// use.
type budget struct {
	plan  *planner.Plan // knows the prices and the output limits
	limit float64

	mu      sync.Mutex
	spent   float64 // the cost of the answers so far
	unsure  float64 // the bounds of requests whose cost is not known: counted as spent
	held    float64 // the bounds of the requests in flight
	stopped bool
}

// newBudget returns the budget of a run of plan, nil without a limit.
func newBudget(plan *planner.Plan, limit *float64) *budget {
	if limit == nil {
		return nil
	}
	return &budget{plan: plan, limit: *limit}
}

// hold is one request's reservation: its bound, and the prices of the
// models that may answer it, by model id, to cost the answer with.
type hold struct {
	bound  float64
	prices map[string]state.Price
	worst  state.Price // the dearest of prices, for an answer that names another model
	writes bool        // the request may write the prompt cache, whose tokens may cost more
}

// reserve reserves the bound of req, sent to model m, or refuses it with
// an error that wraps ErrBudget. Once the budget has stopped the run, no
// call starts; a later request of a call in flight (a tool round, a schema
// retry, a client-mode fallback: followUp) still goes out when it fits, so
// that the calls in flight can finish and be recorded.
func (b *budget) reserve(m *planner.Model, req *gateway.Request, followUp bool) (*hold, error) {
	h, err := b.bound(m, req)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.stopped && !followUp:
		return nil, ErrBudget
	case err != nil:
		b.stopped = true
		return nil, err
	case b.spent+b.unsure+b.held+h.bound > b.limit:
		b.stopped = true
		return nil, fmt.Errorf("%w: the request to %q could cost up to $%.6f, and $%.6f of the $%.6f budget is spent or held by the calls in flight",
			ErrBudget, req.Model, h.bound, b.spent+b.unsure+b.held, b.limit)
	}
	b.held += h.bound
	return h, nil
}

// settle replaces a reservation with the cost of the answer (resp, or the
// failure err). A request the gateway refused before answering (an error
// status) cost nothing; one whose cost cannot be known (no usage, a failure
// after it was sent) is counted at its bound.
func (b *budget) settle(h *hold, resp *gateway.Response, err error) {
	cost, known := h.cost(resp, err)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= h.bound
	if known {
		b.spent += cost
	} else {
		b.unsure += h.bound
	}
}

// release gives back a reservation whose request was never sent.
func (b *budget) release(h *hold) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held -= h.bound
}

// isStopped reports whether the budget has refused a request.
func (b *budget) isStopped() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopped
}

// use returns what the run spent of the budget; nil without one.
func (b *budget) use(notRun int) *BudgetUse {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	u := &BudgetUse{Budget: b.limit, Spent: b.spent, Stopped: b.stopped}
	if u.Stopped {
		u.NotRun = notRun
	}
	return u
}

// cost is what an answer cost, and whether that is known.
func (h *hold) cost(resp *gateway.Response, err error) (float64, bool) {
	var api *gateway.APIError
	switch {
	case err == nil && resp != nil && resp.Usage != nil:
	case errors.As(err, &api) && api.StatusCode >= 300:
		return 0, true // refused, not answered
	default:
		return 0, false
	}
	price, ok := h.prices[resp.Model]
	if !ok {
		price = h.worst
	}
	return planner.GatewayPrice(price).Cost(*resp.Usage), true
}

// bound is the most req, sent to m, may cost: the most of any model that
// may answer it (m, and the models of its gateway fallbacks), each at its
// input bound times its dearest input price plus its most output tokens
// times its output price. A model without a price or an output bound
// makes it an error.
func (b *budget) bound(m *planner.Model, req *gateway.Request) (*hold, error) {
	in, err := inputBound(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBudget, err)
	}
	h := &hold{prices: map[string]state.Price{}, writes: writesCache(req)}
	price, priced := b.plan.PriceOf(m, requestRegion(req.Extra, nil))
	if err := h.add(m.ID, price, priced, in, b.plan.MaxOutputTokens(m, req.MaxTokens)); err != nil {
		return nil, err
	}
	for _, fb := range req.Fallbacks {
		price, priced := b.plan.PriceOfServed(m, fb.Model, requestRegion(fb.Extra, req.Extra))
		other := &planner.Model{ID: fb.Model, Gateway: m.Gateway} // its catalog entry's output limit
		if err := h.add(fb.Model, price, priced, in, b.plan.MaxOutputTokens(other, cmp.Or(fb.MaxTokens, req.MaxTokens))); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// add counts one model that may answer a request of at most in input
// tokens with at most out output tokens. Its input is bounded at the
// dearest price an input token may cost: a cache write's when the request
// may write the cache.
func (h *hold) add(id string, price state.Price, priced bool, in, out int) error {
	switch {
	case !priced:
		return fmt.Errorf("%w: model %q has no price", ErrBudget, id)
	case out <= 0:
		return fmt.Errorf("%w: nothing bounds the length of the answers of model %q (max_tokens)", ErrBudget, id)
	}
	inPrice := max(price.Input, price.CacheRead)
	if h.writes {
		inPrice = max(inPrice, price.CacheWrite, price.CacheWrite1h)
	}
	h.bound = max(h.bound, (float64(in)*inPrice+float64(out)*price.Output)/1e6)
	h.prices[id] = price
	h.worst = state.Price{Input: max(h.worst.Input, price.Input), Output: max(h.worst.Output, price.Output),
		CacheRead: max(h.worst.CacheRead, price.CacheRead), CacheWrite: max(h.worst.CacheWrite, price.CacheWrite),
		CacheWrite1h: max(h.worst.CacheWrite1h, price.CacheWrite1h)}
	return nil
}

// inputBound is the most input tokens req may be billed for: the bytes of
// its JSON (messages, tools, schema and the fallbacks' messages), plus
// the overheads.
func inputBound(req *gateway.Request) (int, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, fmt.Errorf("encode request: %w", err)
	}
	n := len(body) + requestOverhead + messageOverhead*len(req.Messages)
	for _, fb := range req.Fallbacks {
		n += messageOverhead * len(fb.Messages)
	}
	if len(req.Tools) > 0 || req.ResponseFormat != nil {
		n += toolsOverhead
	}
	return n, nil
}

// writesCache reports whether a request may write the prompt cache: it
// marks a message (its own or a fallback's) or itself with cache_control.
func writesCache(req *gateway.Request) bool {
	if _, ok := req.Extra["cache_control"]; ok {
		return true
	}
	msgs := req.Messages
	for _, fb := range req.Fallbacks {
		msgs = append(msgs[:len(msgs):len(msgs)], fb.Messages...)
	}
	for _, m := range msgs {
		if len(m.CacheControl) > 0 {
			return true
		}
	}
	return false
}

// requestRegion is the model_region a request sends, from fields, else
// from inherited (a gateway fallback inherits the request's); "" for none.
func requestRegion(fields, inherited map[string]json.RawMessage) string {
	raw, ok := fields[planner.RegionParam]
	if !ok {
		raw = inherited[planner.RegionParam]
	}
	var region string
	if json.Unmarshal(raw, &region) != nil {
		return ""
	}
	return region
}
