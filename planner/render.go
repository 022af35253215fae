package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Message roles a message block may use.
var messageRoles = []string{"system", "user", "assistant", "tool"}

// Rendered is a step instance's request with every expression evaluated.
// Where an expression depends on a step that has not run, its value is
// unknown and Known is false; Request then cannot be built yet.
// MaxTokens, Temperature, Stream and Params are the values sent to Model:
// the step's, or else the model's. A param that uses a sensitive value
// carries its mark.
type Rendered struct {
	Instance    *Instance
	Model       *Model    // the model, or the first of the fallback chain
	Fallback    *Fallback // nil without a chain
	Messages    []RenderedMessage
	MaxTokens   *int
	Temperature *float64
	Stream      *bool
	Params      map[string]cty.Value
	Schema      *Schema
	Tools       []*Tool
	ToolChoice  *gateway.ToolChoice
	Known       bool

	step      overrides // the step's own values, before the model's defaults
	sensitive fieldSet  // which of MaxTokens, Temperature and Stream use a sensitive value
	// varDisplay is how the caller rendered the module variables that
	// are not known yet (see displaySegments).
	varDisplay map[string][]Segment
}

// overrides are a step's request settings, nil where the step leaves the
// model's in place.
type overrides struct {
	maxTokens   *int
	temperature *float64
	stream      *bool
	params      map[string]cty.Value
	sensitive   fieldSet // which of the settings above use a sensitive value
}

// RenderedMessage is one message. Wire is the message as sent, complete
// only when the request is Known. Display is the content as the plan shows
// it, known parts and unknown ones; Notes are its other fields
// ("tool_call_id = call_1").
type RenderedMessage struct {
	Role      string
	Wire      gateway.Message
	Display   []Segment
	Notes     []string
	Sensitive bool // its content uses a sensitive value: never shown
}

// Render evaluates a step instance's request in scope: first its model,
// which must be known when the plan is made, then the rest. Step
// attributes override the model's.
func (p *Plan) Render(inst *Instance, refs []*config.Ref, scope *Scope) (*Rendered, hcl.Diagnostics) {
	s := inst.Step
	r := &Rendered{Instance: inst, Known: true, varDisplay: scope.VarDisplays()}
	ctx := scope.EvalContext(refs, inst.Rep)
	diags := r.chooseModel(p, ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	diags = append(diags, r.renderMessages(s, ctx)...)
	diags = append(diags, r.renderOverrides(s, ctx)...)
	r.applyModel(r.Model)
	r.renderStructured(s, p)
	return r, diags
}

// renderOverrides evaluates the step's max_tokens, temperature, stream and
// params. A null value leaves the model's in place.
func (r *Rendered) renderOverrides(s *config.Step, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags, d hcl.Diagnostics
	sens := fieldSet{}
	r.step.maxTokens, sens["max_tokens"], d = optInt(s.MaxTokens, ctx, "max_tokens", 1, &r.Known)
	diags = append(diags, d...)
	r.step.temperature, sens["temperature"], d = optFloat(s.Temperature, ctx, "temperature", &r.Known)
	diags = append(diags, d...)
	r.step.stream, sens["stream"], d = optBool(s.Stream, ctx, "stream", &r.Known)
	diags = append(diags, d...)
	r.step.sensitive = sens
	params, known, d := evalParams(s.Params, ctx)
	diags = append(diags, d...)
	r.Known = r.Known && known
	r.step.params = params
	return diags
}

// applyModel sets the values sent to m, and whether each uses a sensitive
// value: the step's, else m's.
func (r *Rendered) applyModel(m *Model) {
	r.MaxTokens, r.Temperature, r.Stream = m.MaxTokens, m.Temperature, m.Stream
	r.sensitive = fieldSet{"max_tokens": m.sensitive["max_tokens"], "temperature": m.sensitive["temperature"], "stream": m.sensitive["stream"]}
	if r.step.maxTokens != nil {
		r.MaxTokens, r.sensitive["max_tokens"] = r.step.maxTokens, r.step.sensitive["max_tokens"]
	}
	if r.step.temperature != nil {
		r.Temperature, r.sensitive["temperature"] = r.step.temperature, r.step.sensitive["temperature"]
	}
	if r.step.stream != nil {
		r.Stream, r.sensitive["stream"] = r.step.stream, r.step.sensitive["stream"]
	}
	r.Params = map[string]cty.Value{}
	for k, v := range m.Params {
		r.Params[k] = v
	}
	for k, v := range r.step.params {
		r.Params[k] = v
	}
}

// renderStructured sets the schema, tools and tool choice.
func (r *Rendered) renderStructured(s *config.Step, p *Plan) {
	if s.Schema != nil {
		r.Schema = p.Schemas[r.Instance.Prefix()+s.Schema.Name]
	}
	for _, t := range s.Tools {
		if tool := p.Tools[r.Instance.Prefix()+t.Name]; tool != nil {
			r.Tools = append(r.Tools, tool)
		}
	}
	if tc := s.ToolChoice; tc != nil {
		r.ToolChoice = &gateway.ToolChoice{Mode: tc.Mode}
		if tc.Tool != nil {
			r.ToolChoice = &gateway.ToolChoice{Function: tc.Tool.Name}
		}
	}
}

func validRole(role string) bool {
	for _, r := range messageRoles {
		if r == role {
			return true
		}
	}
	return false
}

// Request builds the wire request. It fails when the rendered request is
// not fully known.
func (r *Rendered) Request() (*gateway.Request, error) {
	req, err := r.requestFor(r.Model)
	if err != nil || r.Fallback == nil || r.Fallback.Mode != config.FallbackGateway {
		return req, err
	}
	// The gateway tries the other models itself; each entry carries only the
	// settings its model sets, the rest is inherited from the request.
	for _, m := range r.Fallback.Models[1:] {
		extra, err := paramsJSON(m.Params)
		if err != nil {
			return nil, fmt.Errorf("planner: params of model.%s: %w", m.Name, err)
		}
		req.Fallbacks = append(req.Fallbacks, gateway.Fallback{Model: m.ID, MaxTokens: m.MaxTokens, Temperature: m.Temperature, Extra: extra})
	}
	if r.Fallback.Retry != nil || r.Fallback.Depth != nil {
		req.FallbackConfig = &gateway.FallbackConfig{Retry: r.Fallback.Retry, Depth: r.Fallback.Depth}
	}
	return req, nil
}

// RequestFor builds the request as sent to m alone: what a client-mode
// fallback chain sends to each of its models, the step's settings over m's.
func (r *Rendered) RequestFor(m *Model) (*gateway.Request, error) {
	cp := *r
	cp.applyModel(m)
	return cp.requestFor(m)
}

func (r *Rendered) requestFor(m *Model) (*gateway.Request, error) {
	if !r.Known {
		return nil, fmt.Errorf("planner: request of %s is not known yet", r.Instance.Addr)
	}
	req := &gateway.Request{
		Model:       m.ID,
		MaxTokens:   r.MaxTokens,
		Temperature: r.Temperature,
		Stream:      r.Stream,
		ToolChoice:  r.ToolChoice,
	}
	for _, msg := range r.Messages {
		req.Messages = append(req.Messages, msg.Wire)
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
	var err error
	if req.Extra, err = paramsJSON(r.Params); err != nil {
		return nil, fmt.Errorf("planner: params of %s: %w", r.Instance.Addr, err)
	}
	return req, nil
}

// paramsJSON encodes params as request fields; nil when there are none.
// A sensitive value is sent as it is.
func paramsJSON(params map[string]cty.Value) (map[string]json.RawMessage, error) {
	if len(params) == 0 {
		return nil, nil
	}
	out := map[string]json.RawMessage{}
	for k, v := range params {
		v, _ = v.UnmarkDeep()
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}

// Hash returns a request's identity, "sha256:" and the hex SHA-256 of its
// canonical JSON, along with that JSON.
func Hash(req *gateway.Request) (hash string, canonical []byte, err error) {
	canonical, err = req.Canonical()
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:]), canonical, nil
}
