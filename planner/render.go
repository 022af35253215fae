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
type Rendered struct {
	Instance    *Instance
	Model       *Model
	Messages    []RenderedMessage
	MaxTokens   *int
	Temperature *float64
	Stream      *bool
	Params      map[string]cty.Value
	Known       bool
}

// RenderedMessage is one message. Wire is the message as sent, complete
// only when the request is Known. Display is the content as the plan shows
// it, known parts and unknown ones; Notes are its other fields
// ("tool_call_id = call_1").
type RenderedMessage struct {
	Role    string
	Wire    gateway.Message
	Display []Segment
	Notes   []string
}

// Render evaluates a step instance's request in scope. Step attributes
// override the model's.
func Render(inst *Instance, refs []*config.Ref, models map[string]*Model, scope *Scope) (*Rendered, hcl.Diagnostics) {
	s := inst.Step
	r := &Rendered{Instance: inst, Model: models[s.Model.Name], Known: true}
	if r.Model == nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Reference to undeclared model",
			Detail: fmt.Sprintf("No model named %q is declared.", s.Model.Name), Subject: s.Model.SourceRange.Ptr(),
		}}
	}
	ctx := scope.EvalContext(refs, inst.Rep)
	diags := r.renderMessages(s, ctx)
	r.MaxTokens, r.Temperature, r.Stream = r.Model.MaxTokens, r.Model.Temperature, r.Model.Stream
	// A step attribute that is null leaves the model's value in place.
	if s.MaxTokens != nil {
		v, d := optInt(s.MaxTokens, ctx, "max_tokens", 1)
		diags = append(diags, d...)
		if v != nil {
			r.MaxTokens = v
		}
		r.noteKnown(s.MaxTokens, ctx)
	}
	if s.Temperature != nil {
		v, d := optFloat(s.Temperature, ctx, "temperature")
		diags = append(diags, d...)
		if v != nil {
			r.Temperature = v
		}
		r.noteKnown(s.Temperature, ctx)
	}
	if s.Stream != nil {
		v, d := optBool(s.Stream, ctx, "stream")
		diags = append(diags, d...)
		if v != nil {
			r.Stream = v
		}
		r.noteKnown(s.Stream, ctx)
	}
	r.Params = map[string]cty.Value{}
	for k, v := range r.Model.Params {
		r.Params[k] = v
	}
	params, known, d := evalParams(s.Params, ctx)
	diags = append(diags, d...)
	r.Known = r.Known && known
	for k, v := range params {
		r.Params[k] = v
	}
	return r, diags
}

// noteKnown marks the request unknown when expr's value is not yet known.
func (r *Rendered) noteKnown(expr hcl.Expression, ctx *hcl.EvalContext) {
	if v, diags := expr.Value(ctx); !diags.HasErrors() && !v.IsWhollyKnown() {
		r.Known = false
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
	if !r.Known {
		return nil, fmt.Errorf("planner: request of %s is not known yet", r.Instance.Addr)
	}
	req := &gateway.Request{
		Model:       r.Model.ID,
		MaxTokens:   r.MaxTokens,
		Temperature: r.Temperature,
		Stream:      r.Stream,
	}
	for _, m := range r.Messages {
		req.Messages = append(req.Messages, m.Wire)
	}
	if len(r.Params) > 0 {
		req.Extra = map[string]json.RawMessage{}
		for k, v := range r.Params {
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				return nil, fmt.Errorf("planner: params.%s of %s: %w", k, r.Instance.Addr, err)
			}
			req.Extra[k] = b
		}
	}
	return req, nil
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
