package executor

import (
	"time"

	"github.com/promptform/promptform/state"
)

// Hook receives the events of a run. Methods are called from several
// goroutines at once; implementations must be safe for concurrent use.
type Hook interface {
	// StepStarted is called before a request is sent.
	StepStarted(addr, model string)
	// StepDelta is called with each piece of text of a streamed answer,
	// in order.
	StepDelta(addr, text string)
	// StepFinished is called when an instance is recorded; reused is true
	// when the recorded response was re-used without a call.
	StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration)
	// StepFailed is called when an instance fails. rec is the record of
	// a failure that was answered and paid for (a failed postcondition,
	// tool rounds used up), nil when no answer came.
	StepFailed(addr string, rec *state.Step, err error)
	// StepUnrecorded is called when an instance was answered but its
	// record could not be written (the state could not be saved): the
	// call was paid for, rec is what would have been recorded, err why it
	// was not. The next plan runs the instance again.
	StepUnrecorded(addr string, rec *state.Step, err error)
	// StepSkipped is called for an instance or step that does not run
	// because something it depends on failed, or the run was interrupted.
	StepSkipped(addr, cause string)
	// FallbackUsed is called when a client-mode fallback chain moves on to
	// the next model.
	FallbackUsed(addr, model string)
	// ToolRan is called after a tool command answered a call; err is its
	// failure, reported to the model too.
	ToolRan(addr, tool string, elapsed time.Duration, err error)
	// RateLimitWait is called once each time calls to a model are held
	// back for longer than a couple of seconds: the gateway asked for a
	// pause (a 429's Retry-After, or a rate-limit window used up until its
	// reset) or requests_per_minute spaces the starts. wait is how long,
	// reason says why.
	RateLimitWait(model string, wait time.Duration, reason string)
	// CheckResult is called for each check block at the end, with its
	// address (check.NAME, after the module's prefix in a module): passed,
	// or the messages of its failed asserts (or why it was not evaluated).
	CheckResult(addr string, passed bool, messages []string)
}

// NopHook implements Hook with methods that do nothing; embed it to write
// only the methods you need.
type NopHook struct{}

// StepStarted does nothing.
func (NopHook) StepStarted(string, string) {}

// StepDelta does nothing.
func (NopHook) StepDelta(string, string) {}

// StepFinished does nothing.
func (NopHook) StepFinished(string, *state.Step, bool, time.Duration) {}

// StepFailed does nothing.
func (NopHook) StepFailed(string, *state.Step, error) {}

// StepUnrecorded does nothing.
func (NopHook) StepUnrecorded(string, *state.Step, error) {}

// StepSkipped does nothing.
func (NopHook) StepSkipped(string, string) {}

// FallbackUsed does nothing.
func (NopHook) FallbackUsed(string, string) {}

// ToolRan does nothing.
func (NopHook) ToolRan(string, string, time.Duration, error) {}

// RateLimitWait does nothing.
func (NopHook) RateLimitWait(string, time.Duration, string) {}

// CheckResult does nothing.
func (NopHook) CheckResult(string, bool, []string) {}

var _ Hook = NopHook{}
