package cli

import (
	"encoding/json"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
)

// planJSON writes a plan as JSON events on stdout.
type planJSON struct {
	events *jsonEvents
	base   *viewBase // for what is text even with -json
}

func (v *planJSON) textDiags(d hcl.Diagnostics) { v.base.diags(d) }

func (v *planJSON) diags(d hcl.Diagnostics) { v.events.diags(d) }

// plan writes one planned_step event per instance, with the estimate of
// its call, and a summary with the plan's estimate.
func (v *planJSON) plan(p *planner.Plan) {
	for _, mv := range p.Moves {
		v.events.emit("planned_move", map[string]any{"from": mv.From, "to": mv.Rec.Address})
	}
	for _, c := range p.Changes {
		v.events.emit("planned_step", plannedStep(c))
	}
	for _, c := range p.OutputChanges {
		v.events.emit("planned_output", plannedOutput(c))
	}
	counts := p.Counts()
	v.events.emit("summary", map[string]any{"changes": map[string]int{
		"run": counts[planner.Run], "rerun": counts[planner.Rerun], "run_if_changed": counts[planner.RunIfChanged],
		"drop": counts[planner.Drop], "keep": counts[planner.Keep], "outputs": len(p.OutputChanges), "moves": len(p.Moves),
		"cached": p.Cached(),
	}, "cost": p.Cost})
}

// saved prints nothing: a -json plan is the events.
func (v *planJSON) saved(string) {}

func plannedStep(c *planner.Change) map[string]any {
	ev := map[string]any{"address": c.Address, "action": c.Action.String(), "reason": c.Reason}
	if c.Cached {
		ev["cached"] = true
	}
	if c.Rendered != nil {
		ev["model"] = c.Rendered.Model.ID
		ev["model_address"] = c.Rendered.ModelAddress()
	}
	if c.Cost != nil {
		ev["cost"] = c.Cost
	}
	if c.Canonical != nil {
		ev["request_hash"] = c.Hash
		if !c.Rendered.Sensitive() {
			ev["request"] = json.RawMessage(c.Canonical)
		}
	}
	return ev
}
