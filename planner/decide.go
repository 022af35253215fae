package planner

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// Decision is what a walk does with one step instance, and the value the
// steps that depend on it see meanwhile. Plan and apply both take it from
// DecideInstance, so that they cannot disagree.
type Decision struct {
	// Filtered is true when -target or -exclude leave the instance out: it
	// is neither planned nor run, and Value is its recorded value (unknown
	// when there is none).
	Filtered bool
	Action   Action
	Reason   string
	Prior    *state.Step // the recorded instance, or nil
	// Value is what dependents see: the recorded value when the instance
	// is kept or filtered out, else unknown (its answer marked Sensitive
	// when the request uses a sensitive value) until it has run. A kept
	// instance of a step that no node uses, and that has no asserts to
	// score, is left unknown: nothing would read it.
	Value cty.Value
	// Rescored is the record of a kept instance whose asserts score
	// differently now (they changed since its answer was recorded): the
	// prior record with the new scores, which Value shows and apply
	// records without a call. Nil otherwise.
	Rescored *state.Step
	// Cached is true when Prior is an answer from the shared answer cache,
	// addressed to this instance: apply records it without a call.
	Cached bool
}

// CachedReason is the reason of an instance kept with an answer from the
// shared answer cache.
const CachedReason = "reused from the shared cache"

// Facts are what the decision about one instance rests on.
type Facts struct {
	Inst *Instance
	// Rendered is the instance's rendering; nil when the filter leaves
	// the instance out, which is then not rendered.
	Rendered *Rendered
	// Request and Hash are the encoded request, when it is known.
	Request *gateway.Request
	Hash    string
	// Upstream says why a request not known yet may change ("upstream
	// step.a will run"); it is the reason of RunIfChanged.
	Upstream string
	// Conds is the instance's evaluation context for its asserts, which a
	// kept instance is scored again in; nil scores nothing again. Redact,
	// when not nil, scrubs the messages of asserts that cannot be
	// evaluated.
	Conds  *hcl.EvalContext
	Redact func(string) string
}

// DecideInstance decides one step instance for the walk: an instance the
// filter leaves out keeps its recorded value; a request not known yet runs
// when new, reruns when -replace names it, else runs if its inputs change;
// a known request is compared with its record (see Decide), and -replace
// turns whatever is recorded into a rerun.
func (w *Walk) DecideInstance(f Facts) Decision {
	s := f.Inst.Step
	d := Decision{Prior: w.State.Steps[f.Inst.Address()], Value: w.Plan.UnknownStep(s)}
	replaced := w.Filter.Replaced(f.Inst.Addr)
	switch {
	case f.Rendered == nil:
		d.Filtered, d.Action, d.Reason = true, Keep, "not targeted"
		if d.Prior != nil {
			d.Value = w.Plan.StepValue(s, d.Prior)
		}
		return d
	case !f.Rendered.Known && d.Prior == nil:
		d.Action, d.Reason = Run, "new"
	case !f.Rendered.Known && replaced:
		d.Action, d.Reason = Rerun, "-replace"
	case !f.Rendered.Known:
		d.Action, d.Reason = RunIfChanged, f.Upstream
	default:
		d.Action, d.Reason = Decide(d.Prior, f.Hash, f.Request, w.Offline)
		switch {
		case d.Action != Run && replaced:
			d.Action, d.Reason = Rerun, "-replace"
		case d.Action != Keep && !replaced:
			if rec := w.cachedAnswer(f); rec != nil {
				d.Action, d.Reason, d.Prior, d.Cached = Keep, CachedReason, rec, true
			}
		}
	}
	if len(s.Asserts) == 0 && (d.Prior == nil || len(d.Prior.Asserts) == 0) && !w.Plan.Graph.Used(f.Inst.Addr.Step.String()) {
		return d // no node uses the step's value, and no assert scores it: leave it unknown
	}
	d.Value = w.Plan.ChangeValue(s, &Change{Action: d.Action, Prior: d.Prior, Rendered: f.Rendered})
	// Scored again: with the step's asserts (in Conds, which both callers
	// give for a step with asserts), or to none when it has none left.
	if d.Action == Keep && (len(s.Asserts) > 0 && f.Conds != nil || len(s.Asserts) == 0 && len(d.Prior.Asserts) > 0) {
		if scores := ScoreAsserts(f.Inst, f.Conds, d.Value, f.Redact); !slices.Equal(scores, d.Prior.Asserts) {
			rec := *d.Prior
			rec.Asserts = scores
			d.Rescored = &rec
			d.Value = w.Plan.ChangeValue(s, &Change{Action: d.Action, Prior: &rec, Rendered: f.Rendered})
		}
	}
	return d
}

// cachedAnswer returns the shared cache's answer to the instance's request,
// addressed to the instance, or nil: there is no cache (or the walk is
// offline: the offline model's answers are never shared), or no answer,
// or the cache cannot be read (the request is then asked).
func (w *Walk) cachedAnswer(f Facts) *state.Step {
	if w.Plan.Answers == nil || w.Offline || f.Hash == "" {
		return nil
	}
	rec, err := w.Plan.Answers.Lookup(context.Background(), f.Hash)
	if err != nil || rec == nil || rec.RequestHash != f.Hash || rec.Failed != "" || rec.Offline {
		return nil
	}
	moved := *rec
	a := f.Inst.Addr
	if moved.Address != a.String() {
		moved.Each = nil // the other instance's each.value; this one's is recorded at its next run
	}
	moved.Address, moved.Name, moved.Key, moved.Sample = a.String(), a.Step.Name, a.KeyJSON(), a.Sample
	return &moved
}

// Decide compares a rendered request with its record: the action and why.
func Decide(prior *state.Step, hash string, req *gateway.Request, offline bool) (Action, string) {
	switch {
	case prior == nil:
		return Run, "new"
	case strings.HasPrefix(prior.Failed, "postcondition:"):
		return Rerun, "failed a postcondition"
	case prior.Failed != "":
		return Rerun, "failed last time"
	case prior.RequestHash == hash && (offline || !prior.Offline):
		return Keep, "unchanged"
	case prior.RequestHash == hash:
		return Rerun, "recorded by the offline model"
	}
	var old gateway.Request
	if err := json.Unmarshal(prior.Request, &old); err != nil {
		return Rerun, "request changed"
	}
	switch {
	case old.Model != req.Model:
		return Rerun, "model changed"
	case !jsonEqual(old.Messages, req.Messages):
		return Rerun, "prompt changed"
	}
	return Rerun, "parameters changed"
}

func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
