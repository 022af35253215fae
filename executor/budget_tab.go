package executor

import (
	"context"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// tab is one call's account with the budget. A call sends its requests one
// at a time, so a streamed answer has been read to its end (or abandoned)
// when the call sends its next request or ends: its reservation is settled
// then. It is used by the goroutine of its call alone, once opened.
type tab struct {
	b       *budget
	first   *hold        // reserved for the call's first request when it was started; nil once used
	streams []openStream // streamed answers not settled yet
}

// openStream is a streamed answer and its reservation.
type openStream struct {
	h  *hold
	st *gateway.Stream
}

// open opens the tab of a call about to start, with the bound of its first
// request reserved; nil without a budget. The error wraps ErrBudget.
func (b *budget) open(c *call) (*tab, error) {
	if b == nil {
		return nil, nil
	}
	h, err := b.reserve(c.model, c.req, false)
	if err != nil {
		return nil, err
	}
	return &tab{b: b, first: h}, nil
}

// reserve settles the call's streamed answers so far, then reserves req:
// the first request has its bound reserved already.
func (t *tab) reserve(m *planner.Model, req *gateway.Request) (*hold, error) {
	t.settleStreams()
	if h := t.first; h != nil {
		t.first = nil
		return h, nil
	}
	return t.b.reserve(m, req, true)
}

// close settles the call's streamed answers and gives back the first
// request's reservation if it was never sent; nil-safe.
func (t *tab) close() {
	if t == nil {
		return
	}
	t.settleStreams()
	if t.first != nil {
		t.b.release(t.first)
		t.first = nil
	}
}

// settleStreams settles the streamed answers read so far.
func (t *tab) settleStreams() {
	for _, s := range t.streams {
		var resp *gateway.Response
		err := s.st.Err()
		if err == nil {
			resp = s.st.Response()
		}
		t.b.settle(s.h, resp, err)
	}
	t.streams = nil
}

// client returns the clients of next, each request through the tab.
func (t *tab) client(next func(*planner.Model) ChatClient) func(*planner.Model) ChatClient {
	return func(m *planner.Model) ChatClient { return guarded{next: next(m), model: m, tab: t} }
}

// guarded is a model's client whose requests go out only as the budget
// allows.
type guarded struct {
	next  ChatClient
	model *planner.Model
	tab   *tab
}

var _ ChatClient = guarded{}

// Chat reserves the request's bound, sends it and settles its cost.
func (g guarded) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	h, err := g.tab.reserve(g.model, req)
	if err != nil {
		return nil, err
	}
	resp, err := g.next.Chat(ctx, req)
	g.tab.b.settle(h, resp, err)
	return resp, err
}

// ChatStream reserves the request's bound and opens the stream, whose cost
// is settled once it has been read.
func (g guarded) ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error) {
	h, err := g.tab.reserve(g.model, req)
	if err != nil {
		return nil, err
	}
	st, err := g.next.ChatStream(ctx, req)
	if err != nil {
		g.tab.b.settle(h, nil, err)
		return nil, err
	}
	g.tab.streams = append(g.tab.streams, openStream{h: h, st: st})
	return st, nil
}

// runnerFor returns the runner of a call about to start and its tab: the
// run's runner, or with a budget a copy whose requests go through the
// call's tab. The error says the budget refused the call.
func (s *scheduler) runnerFor(j *job) (*runner, *tab, error) {
	t, err := s.budget.open(j.call)
	if t == nil {
		return s.runner, nil, err
	}
	r := *s.runner
	r.client = t.client(s.runner.client)
	return &r, t, nil
}

// budgetRefused takes in a call the budget refused, as it was to start or
// later: the instance is skipped, not failed, and the run starts no
// further call.
func (s *scheduler) budgetRefused(j *job) {
	s.res.Skipped++
	s.opts.Hook.StepSkipped(j.inst.Address(), haltBudget)
	j.node.failed = true
	j.node.settle(j.index)
	s.halt(haltBudget)
}
