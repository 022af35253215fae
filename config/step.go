package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Step is a step block: one chat completion request (or one per instance
// with for_each or count). Dynamic attributes stay unevaluated; an absent
// attribute is nil.
type Step struct {
	Name        string
	Model       Ref
	System      hcl.Expression
	Prompt      hcl.Expression
	Messages    []*Message
	MaxTokens   hcl.Expression
	Temperature hcl.Expression
	Stream      hcl.Expression
	Params      hcl.Expression
	ForEach     hcl.Expression
	Count       hcl.Expression
	DependsOn   []Ref

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (s *Step) declRange() hcl.Range { return s.DeclRange }

// Address returns step.NAME.
func (s *Step) Address() string { return "step." + s.Name }

// Exprs returns every dynamic expression of the step, in source order of
// kind, for reference discovery.
func (s *Step) Exprs() []hcl.Expression {
	var out []hcl.Expression
	for _, e := range []hcl.Expression{s.ForEach, s.Count, s.System, s.Prompt, s.MaxTokens, s.Temperature, s.Stream, s.Params} {
		if e != nil {
			out = append(out, e)
		}
	}
	for _, m := range s.Messages {
		for _, e := range []hcl.Expression{m.Role, m.Content, m.Name, m.ToolCallID, m.ToolCalls, m.CacheControl} {
			if e != nil {
				out = append(out, e)
			}
		}
	}
	return out
}

// Message is a message block of a step. Content is a string, a list of
// text parts, or null (an assistant turn that only carries tool calls);
// absent attributes are nil.
type Message struct {
	Role         hcl.Expression
	Content      hcl.Expression
	Name         hcl.Expression
	ToolCallID   hcl.Expression
	ToolCalls    hcl.Expression
	CacheControl hcl.Expression
	DeclRange    hcl.Range
}

var stepSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "model", Required: true},
		{Name: "system"}, {Name: "prompt"},
		{Name: "max_tokens"}, {Name: "temperature"}, {Name: "stream"}, {Name: "params"},
		{Name: "for_each"}, {Name: "count"}, {Name: "depends_on"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: blockMessage}},
}

var messageSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "role", Required: true},
		{Name: "content"}, {Name: "name"}, {Name: "tool_call_id"}, {Name: "tool_calls"}, {Name: "cache_control"},
	},
}

func decodeStepBlock(block *hcl.Block) (*Step, hcl.Diagnostics) {
	s := &Step{Name: block.Labels[0], DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	diags := checkName(block, "step")
	content, moreDiags := block.Body.Content(stepSchema)
	diags = append(diags, moreDiags...)
	attrs := content.Attributes
	if attr, ok := attrs["model"]; ok {
		ref, refDiags := decodeNameRef(attr.Expr, "model")
		diags = append(diags, refDiags...)
		if ref != nil {
			s.Model = *ref
		}
	}
	s.System = exprOf(attrs["system"])
	s.Prompt = exprOf(attrs["prompt"])
	s.MaxTokens = exprOf(attrs["max_tokens"])
	s.Temperature = exprOf(attrs["temperature"])
	s.Stream = exprOf(attrs["stream"])
	s.Params = exprOf(attrs["params"])
	s.ForEach = exprOf(attrs["for_each"])
	s.Count = exprOf(attrs["count"])
	if attr, ok := attrs["depends_on"]; ok {
		refs, refDiags := decodeNameRefList(attr.Expr, "step")
		diags = append(diags, refDiags...)
		s.DependsOn = refs
	}
	for _, b := range content.Blocks {
		mc, mDiags := b.Body.Content(messageSchema)
		diags = append(diags, mDiags...)
		if mDiags.HasErrors() {
			continue
		}
		s.Messages = append(s.Messages, &Message{
			Role:         mc.Attributes["role"].Expr,
			Content:      exprOf(mc.Attributes["content"]),
			Name:         exprOf(mc.Attributes["name"]),
			ToolCallID:   exprOf(mc.Attributes["tool_call_id"]),
			ToolCalls:    exprOf(mc.Attributes["tool_calls"]),
			CacheControl: exprOf(mc.Attributes["cache_control"]),
			DeclRange:    b.DefRange,
		})
	}
	diags = append(diags, s.checkShape(attrs, len(content.Blocks))...)
	return s, diags
}

// checkShape reports combinations of attributes that cannot go together.
// messages counts the message blocks, decoded or not, so that a broken
// message block does not also make the step lack a prompt.
func (s *Step) checkShape(attrs hcl.Attributes, messages int) hcl.Diagnostics {
	var diags hcl.Diagnostics
	switch {
	case s.Prompt != nil && messages > 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting prompt and messages",
			Detail:   fmt.Sprintf("Step %q sets both prompt and message blocks. Use prompt (with an optional system) or ordered message blocks, not both.", s.Name),
			Subject:  attrs["prompt"].NameRange.Ptr(),
		})
	case s.System != nil && messages > 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting system and messages",
			Detail:   fmt.Sprintf("Step %q sets system and message blocks. With message blocks, give the system prompt as a message with role = \"system\".", s.Name),
			Subject:  attrs["system"].NameRange.Ptr(),
		})
	case s.Prompt == nil && messages == 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing prompt",
			Detail:   fmt.Sprintf("Step %q has neither a prompt attribute nor message blocks; a step needs one of them.", s.Name),
			Subject:  s.DeclRange.Ptr(),
		})
	}
	if s.ForEach != nil && s.Count != nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid combination of count and for_each",
			Detail:   "A step may use count or for_each, not both.",
			Subject:  attrs["for_each"].NameRange.Ptr(),
		})
	}
	return diags
}
