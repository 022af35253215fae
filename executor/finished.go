package executor

import (
	"errors"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// callFinished takes in a job's outcome: an interrupted call, or one the
// budget refused, is reported skipped, a failure counted (and, when no
// other call could do better, the run halted), an answer recorded. Every
// outcome becomes a diagnostic, an event or a record here, and only here.
func (s *scheduler) callFinished(j *job, out *outcome) {
	n, i := j.node, j.index
	switch {
	case out.interrupted:
		s.res.Interrupted = true
		s.res.Skipped++
		s.opts.Hook.StepSkipped(j.inst.Address(), "interrupted")
		n.failed = true
		n.settle(i)
	case out.rec == nil && errors.Is(out.err, ErrBudget):
		s.budgetRefused(j)
	case out.rec == nil:
		s.countFailed(n, i, nil, out.err)
		s.addDiags(out.diags)
		s.haltAfter(out.err)
	default:
		s.recordAnswer(j, out)
	}
	if n.pending == 0 {
		s.complete(n, nil)
	}
}

// haltAfter halts the run after a failure that every other call would meet
// too.
func (s *scheduler) haltAfter(err error) {
	switch {
	case gateway.Classify(err) == gateway.ClassAuth:
		s.halt("the gateway refused the API key")
	case errors.Is(err, ErrNotRecorded):
		s.halt("-replay met a request that is not recorded")
	}
}

// recordAnswer records an answered instance: a success, or a failure that
// was paid for, recorded with the reason so that the next plan runs it
// again.
func (s *scheduler) recordAnswer(j *job, out *outcome) {
	n, i, addr := j.node, j.index, j.inst.Address()
	s.addDiags(out.diags)
	if err := s.recordOrHalt(out.rec); err != nil {
		s.res.Unrecorded++
		s.opts.Hook.StepUnrecorded(addr, out.rec, err)
		n.failed = true
		n.settle(i)
		return
	}
	s.res.Called++
	if out.err != nil {
		s.countFailed(n, i, out.rec, out.err)
		return
	}
	s.opts.Hook.StepFinished(addr, out.rec, false, time.Since(out.started))
	n.vals[i] = out.val
	if out.val == cty.NilVal {
		n.vals[i] = s.plan.UnknownStep(j.inst.Step) // nothing refers to it
	}
	n.settle(i)
}

// recordOrHalt records a finished instance durably; when it cannot, the
// run starts no more calls, and the error says why.
func (s *scheduler) recordOrHalt(rec *state.Step) error {
	err := s.opts.Store.Record(rec)
	if err != nil && !s.res.Unsaved {
		s.res.Unsaved = true
		s.halt("the state could not be saved") // spend nothing more that cannot be recorded
		s.addDiags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot save state",
			Detail: err.Error() + ". No new calls were started; the answers received from now on are not recorded."}})
	}
	return err
}

// instanceFailed counts an instance that failed before its call and
// returns its diagnostic (none when err is nil: the caller has them).
func (s *scheduler) instanceFailed(n *nodeRun, i int, err error) hcl.Diagnostics {
	s.countFailed(n, i, nil, err)
	if err == nil {
		return nil
	}
	return failureDiags(n.insts[i], err)
}

// countFailed counts a failed instance and reports it to the hook, with
// its record when the failure was answered (rec, else nil).
func (s *scheduler) countFailed(n *nodeRun, i int, rec *state.Step, err error) {
	n.failed = true
	n.settle(i)
	s.res.Failed++
	if err == nil {
		err = errors.New("the request could not be rendered")
	}
	s.opts.Hook.StepFailed(n.insts[i].Address(), rec, err)
}

// settle marks the i-th instance of a step finished.
func (n *nodeRun) settle(i int) {
	n.over[i] = true
	n.pending--
}
