package planner

import (
	"bytes"
	"encoding/json"
	"github.com/promptform/promptform/addrs"
	"math"
	"slices"
	"strings"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
)

// How the estimate counts tokens. No tokenizer of the models' families
// runs offline as a Go library, so the input of a request is estimated from
// its text: a token per BytesPerToken bytes (UTF-8) of every message's
// content, name, tool_call_id and tool calls, of the tool definitions and
// of the response_format schema as JSON, plus MessageOverheadTokens per
// message and RequestOverheadTokens per request. That estimate is then
// calibrated per model id with the state's records of the same model: it is
// multiplied by the recorded input tokens over the estimate of the recorded
// requests.
const (
	BytesPerToken         = 4
	MessageOverheadTokens = 4
	RequestOverheadTokens = 3
	// DefaultOutputTokens is the output expected of a call whose step has
	// no usable record and whose request sets no max_tokens; and the size
	// of a part of a prompt not known yet whose source step cannot be
	// told.
	DefaultOutputTokens = 500
)

// EstimateInputTokens is the uncalibrated estimate of a request's input
// tokens (see BytesPerToken).
func EstimateInputTokens(req *gateway.Request) int {
	n := RequestOverheadTokens + bytesTokens(len(req.Prompt))
	for _, m := range req.Messages {
		n += MessageOverheadTokens + bytesTokens(len(m.Content.String())+len(m.Name)+len(m.ToolCallID))
		if len(m.ToolCalls) > 0 {
			n += jsonTokens(m.ToolCalls)
		}
	}
	if len(req.Tools) > 0 {
		n += jsonTokens(req.Tools)
	}
	if req.ResponseFormat != nil {
		n += jsonTokens(req.ResponseFormat)
	}
	return n
}

func bytesTokens(n int) int { return (n + BytesPerToken - 1) / BytesPerToken }

func jsonTokens(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return bytesTokens(len(b))
}

// Calibration is, per model id, the recorded input tokens of the state's
// requests to it and the uncalibrated estimate of the same requests.
type Calibration map[string]*calibrationSums

type calibrationSums struct{ recorded, estimated int }

// Calibrate sums the records of st whose usage is that of one call of a
// request to one of the model ids: the offline model's records (it counts
// words), failed calls' (no usage), tool loops', output retries' and those
// of fallback chains that moved on are left out. ids nil takes every
// model.
func Calibrate(st *state.State, ids map[string]bool) Calibration {
	cal := Calibration{}
	var quoted [][]byte // the ids as JSON strings
	for id := range ids {
		b, _ := json.Marshal(id)
		quoted = append(quoted, b)
	}
	for _, rec := range st.Steps {
		if rec.Offline || rec.Usage.InputTokens <= 0 || len(rec.Rounds) > 0 || rec.SchemaAttempts > 1 || len(rec.ModelAttempts) > 1 {
			continue
		}
		if ids != nil && !mentionsModel(rec.Request, quoted) {
			continue // decode only the requests that may be of interest
		}
		var req gateway.Request
		if json.Unmarshal(rec.Request, &req) != nil || req.Model == "" || (ids != nil && !ids[req.Model]) {
			continue
		}
		sums := cal[req.Model]
		if sums == nil {
			sums = &calibrationSums{}
			cal[req.Model] = sums
		}
		sums.recorded += rec.Usage.InputTokens
		sums.estimated += EstimateInputTokens(&req)
	}
	return cal
}

// mentionsModel reports whether a recorded request's JSON (compact or
// indented, as the state file keeps it) may be of a request to one of the
// model ids, given as JSON strings: whether it holds one of them.
func mentionsModel(request json.RawMessage, quoted [][]byte) bool {
	for _, b := range quoted {
		if bytes.Contains(request, b) {
			return true
		}
	}
	return false
}

// Ratio is what model id's estimates are multiplied by: its recorded input
// tokens over their estimate, 1 when nothing of it is recorded.
func (c Calibration) Ratio(id string) float64 {
	s := c[id]
	if s == nil || s.estimated == 0 {
		return 1
	}
	return float64(s.recorded) / float64(s.estimated)
}

// estimator estimates the calls of one plan.
type estimator struct {
	p   *Plan
	st  *state.State
	cal Calibration
	// recordedOut is the mean output tokens of each step's records, by
	// step name; plannedOut the sum and count of the expected output of
	// the instances estimated so far.
	recordedOut map[string]float64
	plannedOut  map[string][2]int
	// servedBy is the model id that served most of each step's records,
	// by step name: a fallback chain whose first model fails is billed
	// as the one that answers.
	servedBy map[string]string
}

// willCall reports whether the change calls, or may call, a model.
func willCall(c *Change) bool {
	return c.Rendered != nil && (c.Action == Run || c.Action == Rerun || c.Action == RunIfChanged)
}

// estimate sets the Cost of every change that will or may call a model and
// returns the plan's total, per step in plan order. An offline plan costs
// nothing.
func (p *Plan) estimate(st *state.State) CostEstimate {
	e := &estimator{p: p, st: st, plannedOut: map[string][2]int{}}
	ids := map[string]bool{}
	for _, c := range p.Changes {
		if willCall(c) {
			ids[c.Rendered.Model.ID] = true
		}
	}
	est := CostEstimate{Offline: p.Offline}
	if len(ids) == 0 {
		return est
	}
	if !p.Offline {
		e.cal = Calibrate(st, ids)
	}
	e.recordedOut = recordedOutputs(st)
	e.servedBy = servingModels(st)
	steps := map[string]*StepCost{}
	var order []string
	unpriced, unbounded := map[string]bool{}, map[string]bool{}
	for _, c := range p.Changes {
		if !willCall(c) {
			continue
		}
		ic, bounded := e.instance(c)
		c.Cost = ic
		name := c.Addr.Step.String()
		sc := steps[name]
		if sc == nil {
			s := c.Rendered.Instance.Step
			sc = &StepCost{Step: name, ExtraCalls: len(s.Tools) > 0 || s.OutputRetries > 0}
			steps[name] = sc
			order = append(order, name)
		}
		sc.Calls++
		est.Calls++
		if !ic.Priced {
			sc.Unpriced++
			unpriced[ic.Model] = true
			continue
		}
		if !bounded {
			unbounded[ic.Model] = true
		}
		sc.Expected += ic.Expected
		sc.Max += ic.Max
	}
	for _, name := range order {
		sc := steps[name]
		sc.Expected, sc.Max = RoundUSD(sc.Expected), RoundUSD(sc.Max)
		est.Expected += sc.Expected
		est.Max += sc.Max
		est.Steps = append(est.Steps, *sc)
	}
	est.Expected, est.Max = RoundUSD(est.Expected), RoundUSD(est.Max)
	est.Unpriced = sortedKeys(unpriced)
	est.Unbounded = sortedKeys(unbounded)
	return est
}

// instance estimates one call, and reports whether its output is bounded.
func (e *estimator) instance(c *Change) (*InstanceCost, bool) {
	r := c.Rendered
	m := r.Model
	ic := &InstanceCost{Model: m.ID, InputTokens: e.input(c)}
	maxTokens := r.MaxTokens
	if r.SensitiveField("max_tokens") {
		maxTokens = nil // not to be read off the estimate
	}
	ic.MaxOutputTokens = e.p.MaxOutputTokens(m, maxTokens)
	step := r.Instance.Addr.Step.String()
	ic.OutputTokens = e.output(step, maxTokens)
	if ic.MaxOutputTokens > 0 {
		ic.OutputTokens = min(ic.OutputTokens, ic.MaxOutputTokens)
	}
	sums := e.plannedOut[step]
	e.plannedOut[step] = [2]int{sums[0] + ic.OutputTokens, sums[1] + 1}
	if e.p.Offline {
		ic.Priced, ic.Price = true, state.Price{Source: "offline"}
		return ic, true
	}
	region := ModelRegion(r.Params)
	price, ok := e.p.PriceOf(m, region)
	if id := e.servedBy[step]; id != "" && id != m.ID {
		if served, found := e.p.PriceOfServed(m, id, region); found {
			price, ok = served, true // the step's answers came from another model of its chain
		}
	}
	if !ok {
		return ic, true
	}
	most := ic.MaxOutputTokens
	if most == 0 {
		most = ic.OutputTokens
	}
	ic.Priced, ic.Price = true, price
	ic.Expected = RoundUSD(CostOf(state.Usage{InputTokens: ic.InputTokens, OutputTokens: ic.OutputTokens}, price))
	ic.Max = RoundUSD(CostOf(state.Usage{InputTokens: ic.InputTokens, OutputTokens: most}, price))
	// The upper bound holds whichever model of a chain answers.
	for _, b := range e.p.Billings(c) {
		if !b.Priced {
			continue
		}
		out := b.MaxOutput
		if out == 0 {
			out = most
		}
		ic.Max = max(ic.Max, RoundUSD(CostOf(state.Usage{InputTokens: ic.InputTokens, OutputTokens: out}, b.Price)))
	}
	return ic, ic.MaxOutputTokens > 0
}

// input estimates the input tokens of a change's request: the calibrated
// estimate of the request when it is known; else what its record used, to
// the same model; else the calibrated estimate of its known text plus, for
// each part not known yet, the output expected of the step it comes from
// (DefaultOutputTokens when that cannot be told).
func (e *estimator) input(c *Change) int {
	r := c.Rendered
	ratio := e.cal.Ratio(r.Model.ID)
	if c.Request != nil {
		return int(math.Round(float64(EstimateInputTokens(c.Request)) * ratio))
	}
	if prior := c.Prior; prior != nil && !prior.Offline && prior.Usage.InputTokens > 0 && !e.p.Offline {
		var old struct{ Model string } // only the model: a full decode is dear
		if json.Unmarshal(prior.Request, &old) == nil && old.Model == r.Model.ID {
			return prior.Usage.InputTokens
		}
	}
	known, unknown := e.partial(r)
	return int(math.Round(float64(EstimateInputTokens(known))*ratio)) + unknown
}

// partial returns the request of a rendering that is not known yet, with
// the known text of each message, and the tokens expected of its unknown
// parts.
func (e *estimator) partial(r *Rendered) (*gateway.Request, int) {
	req := &gateway.Request{Model: r.Model.ID}
	unknown := 0
	for _, msg := range r.Messages {
		wire := msg.Wire
		if wire.Content.IsNull() && hasUnknown(msg.Display) {
			var sb strings.Builder
			for _, s := range msg.Display {
				switch {
				case s.Unknown:
					unknown += e.unknownPart(s.Ref)
				case !s.Sensitive:
					sb.WriteString(s.Text)
				}
			}
			wire.Content = gateway.TextContent(sb.String())
		}
		req.Messages = append(req.Messages, wire)
	}
	for _, t := range r.Tools {
		req.Tools = append(req.Tools, gateway.Tool{Type: "function", Function: gateway.ToolFunction{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters,
		}})
	}
	if sc := r.Schema; sc != nil {
		req.ResponseFormat = &gateway.ResponseFormat{Type: "json_schema", JSONSchema: &gateway.JSONSchema{
			Name: sc.Name, Description: sc.Description, Schema: sc.JSON, Strict: sc.Strict,
		}}
	}
	return req, unknown
}

func hasUnknown(segs []Segment) bool {
	return slices.ContainsFunc(segs, func(s Segment) bool { return s.Unknown })
}

// unknownPart is the tokens expected of a part of a prompt not known yet,
// spelt ref ("step.a.output", step.b["k"].result): the output expected of
// that step, or DefaultOutputTokens.
func (e *estimator) unknownPart(ref string) int {
	name, ok := strings.CutPrefix(ref, "step.")
	if !ok {
		return DefaultOutputTokens
	}
	if i := strings.IndexAny(name, ".["); i >= 0 {
		name = name[:i]
	}
	return e.output(name, nil)
}

// output is the output expected of a call of the step at address name: the mean of its
// records, else maxTokens, else the mean expected of its instances planned
// so far, else DefaultOutputTokens.
func (e *estimator) output(name string, maxTokens *int) int {
	if mean, ok := e.recordedOut[name]; ok {
		return int(math.Round(mean))
	}
	if maxTokens != nil {
		return *maxTokens
	}
	if sums := e.plannedOut[name]; sums[1] > 0 {
		return int(math.Round(float64(sums[0]) / float64(sums[1])))
	}
	return DefaultOutputTokens
}

// recordedOutputs is the mean output tokens of each step's records, by
// step address, over every key and sample with usage from a model other than
// the offline one.
func recordedOutputs(st *state.State) map[string]float64 {
	sums := map[string][2]int{}
	for addr, rec := range st.Steps {
		if rec.Offline || rec.Usage.InputTokens+rec.Usage.OutputTokens <= 0 {
			continue
		}
		step := addrs.StepOf(addr)
		s := sums[step]
		sums[step] = [2]int{s[0] + rec.Usage.OutputTokens, s[1] + 1}
	}
	out := map[string]float64{}
	for name, s := range sums {
		out[name] = float64(s[0]) / float64(s[1])
	}
	return out
}

// servingModels returns the model id that served most of each step's
// answered records, by step address.
func servingModels(st *state.State) map[string]string {
	counts := map[string]map[string]int{}
	for addr, rec := range st.Steps {
		if rec.Offline || rec.Model == "" || rec.Failed != "" {
			continue
		}
		step := addrs.StepOf(addr)
		if counts[step] == nil {
			counts[step] = map[string]int{}
		}
		counts[step][rec.Model]++
	}
	out := map[string]string{}
	for name, byModel := range counts {
		best := ""
		for id, n := range byModel {
			if n > byModel[best] || n == byModel[best] && id < best {
				best = id
			}
		}
		out[name] = best
	}
	return out
}

// RoundUSD rounds to a billionth of a dollar, so that sums of float
// prices print without noise.
func RoundUSD(v float64) float64 { return math.Round(v*1e9) / 1e9 }

func sortedKeys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
