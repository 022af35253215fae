package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
)

// applyView shows an apply: the plan, progress, the result and outputs.
type applyView interface {
	planView
	// confirm asks whether to run the plan; it refuses when it cannot ask.
	confirm() bool
	hook() executor.Hook
	result(p *planner.Plan, res *executor.Result)
}

// newApplyView returns the view of apply: JSON events with -json, else
// text.
func newApplyView(jsonOut bool, v *viewBase) applyView {
	if jsonOut {
		return &applyJSON{planJSON{events: newJSONEvents(v.stdout), base: v}}
	}
	return applyHuman{planHuman{v}}
}

// applyHuman writes an apply as text: the plan and progress on stderr,
// the outputs on stdout.
type applyHuman struct{ planHuman }

// plan prints the plan on stderr: during apply, stdout carries only outputs.
func (v applyHuman) plan(p *planner.Plan) { planText{v.stderr, v.paint}.write(p) }

func (v applyHuman) hook() executor.Hook {
	return &humanHook{w: v.stderr, painter: v.paint, live: v.stderrTTY}
}

func (v applyHuman) result(p *planner.Plan, res *executor.Result) {
	summary := fmt.Sprintf("%d called, %d reused, %d failed, %d skipped.", res.Called, res.Reused, res.Failed, res.Skipped)
	if res.Unrecorded > 0 {
		summary = fmt.Sprintf("%d called, %d answered but not recorded, %d reused, %d failed, %d skipped.",
			res.Called, res.Unrecorded, res.Reused, res.Failed, res.Skipped)
	}
	switch {
	case res.Unsaved:
		fmt.Fprintf(v.stderr, "\n%s %s Steps recorded before the failure are kept; fix the state directory and apply again.\n", v.paint.red("Apply stopped: the state could not be saved."), summary)
	case res.Halted != "":
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded.\n", v.paint.red("Apply stopped: "+res.Halted+"."), summary)
	case res.Interrupted:
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded; apply again to run the rest.\n", v.paint.red("Apply interrupted."), summary)
	case res.Diagnostics.HasErrors():
		fmt.Fprintf(v.stderr, "\n%s %s What finished is recorded.\n", v.paint.red("Apply failed."), summary)
	default:
		fmt.Fprintf(v.stderr, "\n%s %s\n", v.paint.green("Apply complete!"), summary)
	}
	writeOutputs(v.stdout, v.paint, p, res.Outputs)
}

// writeOutputs prints name = value lines, sorted, sensitive ones redacted.
func writeOutputs(w io.Writer, paint painter, p *planner.Plan, outputs map[string]cty.Value) {
	if len(outputs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n\n", paint.green("Outputs:"))
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		val := formatValue(outputs[name])
		if o := p.Config.Outputs[name]; o != nil && o.Sensitive {
			val = "(sensitive value)"
		}
		fmt.Fprintf(w, "%s = %s\n", name, val)
	}
}

// applyJSON writes an apply as JSON events on stdout; what cannot be an
// event (the refusal to ask for confirmation) is text on stderr.
type applyJSON struct{ planJSON }

// confirm refuses: with -json, apply cannot ask.
func (v *applyJSON) confirm() bool {
	v.textDiags(needsConfirmation)
	return false
}

func (v *applyJSON) hook() executor.Hook { return &jsonHook{events: v.events} }

func (v *applyJSON) result(p *planner.Plan, res *executor.Result) {
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
