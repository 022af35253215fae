package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// callFinished records a call's outcome. Every error of a call becomes a
// diagnostic, an event or a record here, and only here, once scrubbed of
// sensitive values.
func (s *scheduler) callFinished(f finished) {
	n, addr := f.c.node, f.c.inst.Addr.String()
	err := f.c.redact.error(f.err)
	if f.out != nil {
		f.c.redact.attempts(f.out.modelAttempts)
	}
	if err == nil && len(f.out.resp.Choices) == 0 {
		err = fmt.Errorf("model %q: the response holds no choices (request id %q)", f.out.answeredBy(), f.out.resp.RequestID)
	}
	switch {
	case s.interruptedBy(err):
		s.res.Interrupted = true
		s.res.Skipped++
		s.opts.Hook.StepSkipped(addr, "interrupted")
		n.failed = true
		n.over[f.c.index] = true
		n.pending--
	case err != nil && f.out == nil:
		s.addDiags(s.instanceFailed(n, f.c.index, err))
		switch {
		case gateway.Classify(err) == gateway.ClassAuth:
			s.halt("the gateway refused the API key") // every other call would fail the same way
		case errors.Is(err, ErrNotRecorded):
			s.halt("-replay met a request that is not recorded")
		}
	default:
		s.answered(f, err)
	}
	if n.pending == 0 {
		s.complete(n, nil)
	}
}

// interruptedBy reports whether a call's error is an interrupt's: the
// first ended the client's wait before a retry (or a fallback to the next
// model), or the second abandoned the call in flight. Such a call did not
// finish; it is not recorded, and the next apply runs it.
func (s *scheduler) interruptedBy(err error) bool {
	return err != nil && errors.Is(err, context.Canceled) &&
		(s.ctx.Err() != nil || s.opts.CallContext.Err() != nil)
}

// answered records an answered call: a success, or a failure that was paid
// for (the model kept calling tools; a postcondition fails), recorded with
// the reason so that the next plan runs it again.
func (s *scheduler) answered(f finished, failure error) {
	n, i, addr := f.c.node, f.c.index, f.c.inst.Addr.String()
	rec := newRecord(f.c, f.out, f.started, s.opts.Offline)
	val := s.plan.StepValue(f.c.inst.Step, rec)
	var diags hcl.Diagnostics
	switch {
	case failure != nil:
		rec.Failed = failure.Error()
		diags = failureDiags(f.c.inst, failure)
	default:
		if diags = s.postconditions(f.c.inst, val); diags.HasErrors() {
			rec.Failed = "postcondition: " + diags[0].Detail
		}
	}
	s.addDiags(diags)
	if err := s.recordOrHalt(rec); err != nil {
		s.res.Unrecorded++
		s.opts.Hook.StepUnrecorded(addr, rec, err)
		n.failed = true
		n.over[i] = true
		n.pending--
		return
	}
	s.res.Called++
	if diags.HasErrors() {
		if failure == nil {
			failure = errors.New(rec.Failed)
		}
		s.countFailed(n, i, failure)
		return
	}
	s.opts.Hook.StepFinished(addr, rec, false, time.Since(f.started))
	n.vals[i] = val
	n.over[i] = true
	n.pending--
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

// instanceFailed counts a failed instance and returns its diagnostic (none
// when err is nil: the caller has them).
func (s *scheduler) instanceFailed(n *nodeRun, i int, err error) hcl.Diagnostics {
	s.countFailed(n, i, err)
	if err == nil {
		return nil
	}
	return failureDiags(n.insts[i], err)
}

// countFailed counts a failed instance and reports it to the hook.
func (s *scheduler) countFailed(n *nodeRun, i int, err error) {
	n.failed = true
	n.over[i] = true
	n.pending--
	s.res.Failed++
	if err == nil {
		err = errors.New("the request could not be rendered")
	}
	s.opts.Hook.StepFailed(n.insts[i].Addr.String(), err)
}

// failureDiags is the diagnostic of an instance that failed with err.
func failureDiags(inst *planner.Instance, err error) hcl.Diagnostics {
	summary := "Model request failed"
	var mismatch *mismatchError
	if errors.As(err, &mismatch) {
		summary = "Answer does not match the schema"
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf("%s: %s", inst.Addr, err),
		Subject:  inst.Step.DeclRange.Ptr(),
	}}
}
