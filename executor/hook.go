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
	// StepFailed is called when an instance fails.
	StepFailed(addr string, err error)
	// StepSkipped is called for an instance or step that does not run
	// because something it depends on failed, or the run was interrupted.
	StepSkipped(addr, cause string)
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
func (NopHook) StepFailed(string, error) {}

// StepSkipped does nothing.
func (NopHook) StepSkipped(string, string) {}

var _ Hook = NopHook{}
