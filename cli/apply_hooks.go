package cli

import (
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// humanHook prints one line per event on stderr, except for re-used
// instances, which the end of the apply counts in one line. On a terminal
// it also shows the text of one streamed step as it arrives; other steps
// meanwhile show only their progress lines.
type humanHook struct {
	painter
	mu sync.Mutex
	w  io.Writer // stderr, or the progress display while one runs

	live      bool   // show streamed text
	streaming string // the step whose text is being shown, or ""
}

var _ executor.Hook = (*humanHook)(nil)

func (h *humanHook) line(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streaming != "" {
		fmt.Fprintln(h.w) // end the streamed text's line first
	}
	fmt.Fprintf(h.w, format+"\n", args...)
	if h.streaming != "" {
		fmt.Fprintf(h.w, "%s ", h.bold(h.streaming+":"))
	}
}

// StepDelta shows streamed text live, for one step at a time.
func (h *humanHook) StepDelta(addr, text string) {
	if !h.live {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.streaming {
	case "":
		h.streaming = addr
		fmt.Fprintf(h.w, "%s ", h.bold(addr+":"))
	case addr:
	default:
		return
	}
	fmt.Fprint(h.w, text)
}

// endStream closes the live text of addr, if it is the one shown.
func (h *humanHook) endStream(addr string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streaming == addr {
		fmt.Fprintln(h.w)
		h.streaming = ""
	}
}

func (h *humanHook) StepStarted(addr, model string) {
	h.line("%s: calling %s...", h.bold(addr), model)
}

func (h *humanHook) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	h.endStream(addr)
	if reused {
		return
	}
	cost := ""
	if rec.Cost != nil {
		cost = ", " + usd(rec.Cost.USD)
	}
	h.line("%s: %s after %s (%s, %s tokens in, %s out%s)", h.bold(addr), h.green("done"),
		elapsed.Round(time.Millisecond), rec.Model, num(rec.Usage.InputTokens), num(rec.Usage.OutputTokens), cost)
}

func (h *humanHook) StepFailed(addr string, _ *state.Step, err error) {
	h.endStream(addr)
	h.line("%s: %s", h.bold(addr), h.red("failed"))
}

func (h *humanHook) StepUnrecorded(addr string, rec *state.Step, err error) {
	h.endStream(addr)
	h.line("%s: %s (%s, %s tokens in, %s out; the next apply runs it again)", h.bold(addr),
		h.red("answered but not recorded"), rec.Model, num(rec.Usage.InputTokens), num(rec.Usage.OutputTokens))
}

// RateLimitWait says why nothing starts for a while.
func (h *humanHook) RateLimitWait(model string, wait time.Duration, reason string) {
	h.line("%s", h.yellow(fmt.Sprintf("waiting %s: model %s %s", wait.Round(time.Second), model, reason)))
}

func (h *humanHook) StepSkipped(addr, cause string) {
	h.endStream(addr)
	h.line("%s: %s", h.bold(addr), h.yellow("skipped ("+cause+")"))
}

// swap makes w the writer of the hook's lines and returns the one it
// replaces.
func (h *humanHook) swap(w io.Writer) io.Writer {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.w
	h.w = w
	return old
}

// jsonHook writes step events as NDJSON.
type jsonHook struct {
	events *jsonEvents
	tally  *tally // names the step of an instance
	mu     sync.Mutex
}

var _ executor.Hook = (*jsonHook)(nil)

func (h *jsonHook) emit(typ string, fields map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events.emit(typ, fields)
}

func (h *jsonHook) StepStarted(addr, model string) {
	h.emit("step_started", map[string]any{"address": addr, "model": model})
}

func (h *jsonHook) StepDelta(addr, text string) {
	h.emit("step_delta", map[string]any{"address": addr, "text": text})
}

func (h *jsonHook) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	output := rec.Output
	if rec.Sensitive && output != "" {
		output = planner.SensitiveText
	}
	h.emit("step_finished", map[string]any{
		"address": addr, "reused": reused, "model": rec.Model, "request_id": rec.RequestID,
		"request_hash": rec.RequestHash, "finish_reason": rec.FinishReason, "usage": rec.Usage,
		"elapsed_ms": elapsed.Milliseconds(), "output": output, "sensitive": rec.Sensitive,
		"cost_usd": costUSD(rec, reused),
	})
	for _, a := range rec.Asserts { // re-used answers too: every run reports every score
		h.emit("assert_result", map[string]any{
			"address": addr, "step": h.tally.stepAddr(addr), "sample": rec.Sample, "reused": reused,
			"assert": a.Name, "passed": a.Passed, "message": a.Message,
		})
	}
}

func (h *jsonHook) StepFailed(addr string, rec *state.Step, err error) {
	ev := map[string]any{"address": addr, "error": err.Error()}
	if rec != nil { // answered, and paid for
		ev["model"], ev["usage"], ev["cost_usd"] = rec.Model, rec.Usage, costUSD(rec, false)
	}
	h.emit("step_failed", ev)
}

func (h *jsonHook) StepUnrecorded(addr string, rec *state.Step, err error) {
	h.emit("step_unrecorded", map[string]any{
		"address": addr, "model": rec.Model, "request_id": rec.RequestID, "usage": rec.Usage, "error": err.Error(),
	})
}

func (h *jsonHook) RateLimitWait(model string, wait time.Duration, reason string) {
	h.emit("rate_limit_wait", map[string]any{
		"model": model, "wait_seconds": math.Round(wait.Seconds()*1000) / 1000, "reason": reason,
	})
}

func (h *jsonHook) StepSkipped(addr, cause string) {
	h.emit("step_skipped", map[string]any{"address": addr, "cause": cause})
}

func (h *humanHook) FallbackUsed(addr, model string) {
	h.line("%s: %s", h.bold(addr), h.yellow("falling back to "+model))
}

func (h *humanHook) ToolRan(addr, tool string, elapsed time.Duration, err error) {
	if err != nil {
		h.line("%s: tool %s %s", h.bold(addr), tool, h.yellow("failed ("+err.Error()+"); the model is told"))
		return
	}
	h.line("%s: tool %s answered in %s", h.bold(addr), tool, elapsed.Round(time.Millisecond))
}

func (h *humanHook) CheckResult(addr string, passed bool, messages []string) {
	if passed {
		h.line("%s: %s", h.bold(addr), h.green("passed"))
		return
	}
	h.line("%s: %s", h.bold(addr), h.yellow("failed, a warning: the run goes on"))
}

func (h *jsonHook) FallbackUsed(addr, model string) {
	h.emit("fallback_used", map[string]any{"address": addr, "model": model})
}

func (h *jsonHook) ToolRan(addr, tool string, elapsed time.Duration, err error) {
	ev := map[string]any{"address": addr, "tool": tool, "elapsed_ms": elapsed.Milliseconds()}
	if err != nil {
		ev["error"] = err.Error()
	}
	h.emit("tool_result", ev)
}

func (h *jsonHook) CheckResult(addr string, passed bool, messages []string) {
	if messages == nil {
		messages = []string{}
	}
	h.emit("check_result", map[string]any{"check": addr, "passed": passed, "messages": messages})
}
