package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// applyView shows an apply: the plan, progress, the result and outputs.
type applyView interface {
	planView
	hook(m *Meta) executor.Hook
	result(m *Meta, p *planner.Plan, res *executor.Result)
}

func (m *Meta) applyView(jsonOut bool) applyView {
	if jsonOut {
		return &applyJSON{planJSON{events: newJSONEvents(m.Stdout)}}
	}
	return applyHuman{}
}

type applyHuman struct{ humanDiags }

// plan prints the plan on stderr: during apply, stdout carries only outputs.
func (applyHuman) plan(m *Meta, p *planner.Plan) { writePlan(m, m.Stderr, p) }

func (applyHuman) hook(m *Meta) executor.Hook {
	return &humanHook{m: m, w: m.Stderr, live: m.StderrTTY}
}

func (applyHuman) result(m *Meta, p *planner.Plan, res *executor.Result) {
	summary := fmt.Sprintf("%d called, %d reused, %d failed, %d skipped.", res.Called, res.Reused, res.Failed, res.Skipped)
	if res.Unrecorded > 0 {
		summary = fmt.Sprintf("%d called, %d answered but not recorded, %d reused, %d failed, %d skipped.",
			res.Called, res.Unrecorded, res.Reused, res.Failed, res.Skipped)
	}
	switch {
	case res.Unsaved:
		fmt.Fprintf(m.Stderr, "\n%s %s Steps recorded before the failure are kept; fix the state directory and apply again.\n", m.red("Apply stopped: the state could not be saved."), summary)
	case res.Halted != "":
		fmt.Fprintf(m.Stderr, "\n%s %s What finished is recorded.\n", m.red("Apply stopped: "+res.Halted+"."), summary)
	case res.Interrupted:
		fmt.Fprintf(m.Stderr, "\n%s %s What finished is recorded; apply again to run the rest.\n", m.red("Apply interrupted."), summary)
	case res.Diagnostics.HasErrors():
		fmt.Fprintf(m.Stderr, "\n%s %s What finished is recorded.\n", m.red("Apply failed."), summary)
	default:
		fmt.Fprintf(m.Stderr, "\n%s %s\n", m.green("Apply complete!"), summary)
	}
	writeOutputs(m, m.Stdout, p, res.Outputs)
}

// writeOutputs prints name = value lines, sorted, sensitive ones redacted.
func writeOutputs(m *Meta, w io.Writer, p *planner.Plan, outputs map[string]cty.Value) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n\n", m.green("Outputs:"))
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		val := formatValue(outputs[name])
		if o := p.Config.Outputs[name]; o != nil && o.Sensitive {
			val = "(sensitive value)"
		}
		fmt.Fprintf(w, "%s = %s\n", name, val)
	}
}

// humanHook prints one line per event on stderr. On a terminal it also
// shows the text of one streamed step as it arrives; other steps meanwhile
// show only their progress lines.
type humanHook struct {
	m  *Meta
	w  io.Writer
	mu sync.Mutex

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
		fmt.Fprintf(h.w, "%s ", h.m.bold(h.streaming+":"))
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
		fmt.Fprintf(h.w, "%s ", h.m.bold(addr+":"))
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
	h.line("%s: calling %s...", h.m.bold(addr), model)
}

func (h *humanHook) StepFinished(addr string, rec *state.Step, reused bool, elapsed time.Duration) {
	h.endStream(addr)
	if reused {
		h.line("%s: %s", h.m.bold(addr), h.m.faint("unchanged, recorded response reused"))
		return
	}
	h.line("%s: %s after %s (%s, %d tokens in, %d out)", h.m.bold(addr), h.m.green("done"),
		elapsed.Round(time.Millisecond), rec.Model, rec.Usage.InputTokens, rec.Usage.OutputTokens)
}

func (h *humanHook) StepFailed(addr string, err error) {
	h.endStream(addr)
	h.line("%s: %s", h.m.bold(addr), h.m.red("failed"))
}

func (h *humanHook) StepUnrecorded(addr string, rec *state.Step, err error) {
	h.endStream(addr)
	h.line("%s: %s (%s, %d tokens in, %d out; the next apply runs it again)", h.m.bold(addr),
		h.m.red("answered but not recorded"), rec.Model, rec.Usage.InputTokens, rec.Usage.OutputTokens)
}

// RateLimitWait says why nothing starts for a while.
func (h *humanHook) RateLimitWait(model string, wait time.Duration, reason string) {
	h.line("%s", h.m.yellow(fmt.Sprintf("waiting %s: model %s %s", wait.Round(time.Second), model, reason)))
}

func (h *humanHook) StepSkipped(addr, cause string) {
	h.endStream(addr)
	h.line("%s: %s", h.m.bold(addr), h.m.yellow("skipped ("+cause+")"))
}

type applyJSON struct{ planJSON }

func (v *applyJSON) hook(m *Meta) executor.Hook { return &jsonHook{events: v.events} }

func (v *applyJSON) result(m *Meta, p *planner.Plan, res *executor.Result) {
	v.events.emit("apply_complete", map[string]any{
		"called": res.Called, "unrecorded": res.Unrecorded, "reused": res.Reused, "failed": res.Failed, "skipped": res.Skipped,
		"interrupted": res.Interrupted, "halted": res.Halted, "success": !res.Diagnostics.HasErrors() && !res.Interrupted,
	})
	outs := map[string]any{}
	for name, val := range res.Outputs {
		outs[name] = outputJSON(val, p.Config.Outputs[name].Sensitive)
	}
	v.events.emit("outputs", map[string]any{"outputs": outs})
}

// jsonHook writes step events as NDJSON.
type jsonHook struct {
	events *jsonEvents
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
	})
}

func (h *jsonHook) StepFailed(addr string, err error) {
	h.emit("step_failed", map[string]any{"address": addr, "error": err.Error()})
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
	h.line("%s: %s", h.m.bold(addr), h.m.yellow("falling back to "+model))
}

func (h *humanHook) ToolRan(addr, tool string, elapsed time.Duration, err error) {
	if err != nil {
		h.line("%s: tool %s %s", h.m.bold(addr), tool, h.m.yellow("failed ("+err.Error()+"); the model is told"))
		return
	}
	h.line("%s: tool %s answered in %s", h.m.bold(addr), tool, elapsed.Round(time.Millisecond))
}

func (h *humanHook) CheckResult(name string, passed bool, messages []string) {
	if passed {
		h.line("%s: %s", h.m.bold("check."+name), h.m.green("passed"))
		return
	}
	h.line("%s: %s", h.m.bold("check."+name), h.m.yellow("failed, a warning: the run goes on"))
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

func (h *jsonHook) CheckResult(name string, passed bool, messages []string) {
	if messages == nil {
		messages = []string{}
	}
	h.emit("check_result", map[string]any{"check": "check." + name, "passed": passed, "messages": messages})
}
