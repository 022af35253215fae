package executor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// runner runs one step instance to its end: its request through the chat
// client (each model of a client-mode fallback chain in turn), tool rounds,
// new answers while one fails the schema, the postconditions, and the
// record to save. It knows nothing of the scheduler: what it needs is
// here, and what it found out is its outcome. A runner is safe for
// concurrent use, one call per goroutine.
type runner struct {
	client  func(*planner.Model) ChatClient
	hook    Hook            // told of streamed text, fallbacks and tool runs
	dir     string          // where tool commands run: the configuration directory
	callCtx context.Context // bounds requests in flight and tool commands
	stop    context.Context // the run's: its end stops retries and fallbacks
	offline bool            // records are marked as the offline model's
	// value is the value later expressions see of a recorded instance.
	value func(*config.Step, *state.Step) cty.Value
	// runTool runs a tool command; runTool unless a test says otherwise.
	runTool func(context.Context, toolCommand, []byte) toolResult
}

// outcome is what running one instance came to: interrupted; failed with
// nothing worth recording (rec nil); or answered, with the record to save,
// which holds why it failed when err is set.
type outcome struct {
	rec         *state.Step     // the record to save, or nil
	val         cty.Value       // the value of rec, when the instance succeeded and some expression uses it
	err         error           // why it failed, scrubbed of sensitive values; nil on success
	diags       hcl.Diagnostics // of the failure
	interrupted bool            // an interrupt ended it: not finished, not recorded, not failed
	started     time.Time
}

// run runs one instance. Every error of the call is scrubbed of sensitive
// values here, before it reaches the outcome.
func (r *runner) run(c *call) *outcome {
	started := time.Now()
	ex, err := r.converse(c)
	err = c.redact.error(err)
	if ex != nil {
		c.redact.attempts(ex.modelAttempts)
	}
	if err == nil && len(ex.resp.Choices) == 0 {
		err = fmt.Errorf("model %q: the response holds no choices (request id %q)", ex.answeredBy(), ex.resp.RequestID)
	}
	switch {
	case r.interruptedBy(err):
		return &outcome{interrupted: true, started: started}
	case err != nil && ex == nil:
		return &outcome{err: err, diags: failureDiags(c.inst, err), started: started}
	}
	return r.answered(c, ex, err, started)
}

// interruptedBy reports whether a call's error is an interrupt's: the
// first ended the client's wait before a retry (or a fallback to the next
// model), or the second abandoned the call in flight. Such a call did not
// finish; it is not recorded, and the next apply runs it.
func (r *runner) interruptedBy(err error) bool {
	return err != nil && errors.Is(err, context.Canceled) &&
		(r.stop.Err() != nil || r.callCtx.Err() != nil)
}

// answered is the outcome of an answered instance: a success, with the
// scores of its asserts, or a failure that was paid for (the model kept
// calling tools; a postcondition fails), recorded with the reason so that
// the next plan runs it again.
func (r *runner) answered(c *call, ex *exchange, failure error, started time.Time) *outcome {
	rec := newRecord(c, ex, started, r.offline)
	out := &outcome{rec: rec, err: failure, started: started}
	if failure != nil {
		rec.Failed = failure.Error()
		out.diags = failureDiags(c.inst, failure)
		return out
	}
	if c.conds == nil && !c.used {
		return out // no expression sees the answer: its value is never built
	}
	val := r.value(c.inst.Step, rec)
	if out.diags = postconditions(c.inst, c.conds, val); out.diags.HasErrors() {
		rec.Failed = "postcondition: " + out.diags[0].Detail
		out.err = errors.New(rec.Failed)
		return out
	}
	if rec.Asserts = planner.ScoreAsserts(c.inst, c.conds, val, c.redact.text); rec.Asserts != nil {
		val = r.value(c.inst.Step, rec) // with its scores in asserts
	}
	out.val = val
	return out
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
