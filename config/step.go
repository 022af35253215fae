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
	Model       StepModel // model.NAME, fallback.NAME or an expression yielding one
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

	Schema        *Ref  // schema.NAME: response_format, and a typed result
	Tools         []Ref // tool.NAME
	ToolChoice    *ToolChoice
	OutputRetries int // asks again when an answer fails its schema
	MaxToolRounds int // bounds the tool loop

	Postconditions []*Condition
	// Repeat is repeat = N: N samples of every instance; nil when absent.
	Repeat hcl.Expression
	// Asserts are the step's assert blocks, in source order: scored per
	// sample and recorded, never failing anything.
	Asserts []*Assert

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (s *Step) declRange() hcl.Range { return s.DeclRange }

// Exprs returns every dynamic expression of the step, in source order of
// kind, for reference discovery.
func (s *Step) Exprs() []hcl.Expression {
	var out []hcl.Expression
	for _, e := range []hcl.Expression{s.ForEach, s.Count, s.Repeat, s.System, s.Prompt, s.MaxTokens, s.Temperature, s.Stream, s.Params} {
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

// DefaultMaxToolRounds bounds a step's tool loop when max_tool_rounds is not set.
const DefaultMaxToolRounds = 8

// ToolChoice is a step's tool_choice: "auto", "none", or one tool.
type ToolChoice struct {
	Mode  string // "auto" or "none"; "" when Tool is set
	Tool  *Ref
	Range hcl.Range
}

// Condition is a postcondition or an assert block: a condition that must
// hold, and the message when it does not.
type Condition struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

// Assert is a named assert block of a step: a condition scored for every
// answer, with self as the answer.
type Assert struct {
	Name      string
	NameRange hcl.Range
	Condition
}

// ConditionExprs returns the expressions of the step's postconditions and
// assert blocks, which may use self.
func (s *Step) ConditionExprs() []hcl.Expression {
	var out []hcl.Expression
	for _, c := range s.Postconditions {
		out = append(out, c.Condition, c.ErrorMessage)
	}
	for _, a := range s.Asserts {
		out = append(out, a.Condition.Condition, a.ErrorMessage)
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
		{Name: "schema"}, {Name: "tools"}, {Name: "tool_choice"},
		{Name: "output_retries"}, {Name: "max_tool_rounds"}, {Name: "repeat"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: blockMessage}, {Type: blockPostcondition}, {Type: blockAssert, LabelNames: []string{"name"}}},
}

var conditionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// decodeCondition decodes a postcondition or assert block.
func decodeCondition(b *hcl.Block) (*Condition, hcl.Diagnostics) {
	c, diags := b.Body.Content(conditionSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	return &Condition{
		Condition:    c.Attributes["condition"].Expr,
		ErrorMessage: c.Attributes["error_message"].Expr,
		DeclRange:    b.DefRange,
	}, diags
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
		var modelDiags hcl.Diagnostics
		s.Model, modelDiags = decodeStepModel(attr.Expr)
		diags = append(diags, modelDiags...)
	}
	diags = append(diags, s.decodeStructured(attrs)...)
	s.System = exprOf(attrs["system"])
	s.Prompt = exprOf(attrs["prompt"])
	s.MaxTokens = exprOf(attrs["max_tokens"])
	s.Temperature = exprOf(attrs["temperature"])
	s.Stream = exprOf(attrs["stream"])
	s.Params = exprOf(attrs["params"])
	s.ForEach = exprOf(attrs["for_each"])
	s.Count = exprOf(attrs["count"])
	s.Repeat = exprOf(attrs["repeat"])
	if attr, ok := attrs["depends_on"]; ok {
		refs, refDiags := decodeNameRefList(attr.Expr, "step")
		diags = append(diags, refDiags...)
		s.DependsOn = refs
	}
	messages := 0
	for _, b := range content.Blocks {
		if b.Type == blockAssert {
			diags = append(diags, s.decodeAssert(b)...)
			continue
		}
		if b.Type == blockPostcondition {
			c, cDiags := decodeCondition(b)
			diags = append(diags, cDiags...)
			if c != nil {
				s.Postconditions = append(s.Postconditions, c)
			}
			continue
		}
		messages++
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
	diags = append(diags, s.checkShape(attrs, messages)...)
	return s, diags
}

// decodeAssert decodes an assert block; its name must be an identifier,
// unique in the step, since step.NAME.asserts.ASSERT reads its score.
func (s *Step) decodeAssert(b *hcl.Block) hcl.Diagnostics {
	diags := checkName(b, "assert")
	for _, a := range s.Asserts {
		if a.Name == b.Labels[0] {
			return append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate assert block",
				Detail:   fmt.Sprintf("Step %q already has an assert named %q, at %s. Each assert of a step needs its own name.", s.Name, a.Name, a.DeclRange),
				Subject:  b.LabelRanges[0].Ptr(),
			})
		}
	}
	c, cDiags := decodeCondition(b)
	diags = append(diags, cDiags...)
	if c != nil {
		s.Asserts = append(s.Asserts, &Assert{Name: b.Labels[0], NameRange: b.LabelRanges[0], Condition: *c})
	}
	return diags
}

// decodeStructured reads schema, tools, tool_choice, output_retries and
// max_tool_rounds.
func (s *Step) decodeStructured(attrs hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if attr, ok := attrs["schema"]; ok {
		ref, d := decodeNameRef(attr.Expr, "schema")
		diags = append(diags, d...)
		s.Schema = ref
	}
	if attr, ok := attrs["tools"]; ok {
		refs, d := decodeNameRefList(attr.Expr, "tool")
		diags = append(diags, d...)
		s.Tools = refs
	}
	if attr, ok := attrs["tool_choice"]; ok {
		tc, d := decodeToolChoice(attr)
		diags = append(diags, d...)
		s.ToolChoice = tc
	}
	s.MaxToolRounds = DefaultMaxToolRounds
	for name, target := range map[string]*int{"output_retries": &s.OutputRetries, "max_tool_rounds": &s.MaxToolRounds} {
		attr, ok := attrs[name]
		if !ok {
			continue
		}
		d := decodeLiteral(attr, target)
		diags = append(diags, d...)
		if !d.HasErrors() && (*target < 0 || name == "max_tool_rounds" && *target < 1) {
			diags = append(diags, attrError(attr, "Invalid "+name, fmt.Sprintf("%s must be a whole number, %s.", name,
				map[bool]string{true: "at least 1", false: "zero or more"}[name == "max_tool_rounds"])))
		}
	}
	return diags
}

// decodeToolChoice reads "auto", "none" or tool.NAME.
func decodeToolChoice(attr *hcl.Attribute) (*ToolChoice, hcl.Diagnostics) {
	tc := &ToolChoice{Range: attr.Expr.Range()}
	if t, d := hcl.AbsTraversalForExpr(attr.Expr); !d.HasErrors() && t.RootName() == "tool" {
		ref, diags := decodeNameRef(attr.Expr, "tool")
		tc.Tool = ref
		return tc, diags
	}
	diags := decodeLiteral(attr, &tc.Mode)
	if !diags.HasErrors() && tc.Mode != "auto" && tc.Mode != "none" {
		diags = append(diags, attrError(attr, "Invalid tool_choice",
			fmt.Sprintf("tool_choice must be \"auto\", \"none\" or a tool such as tool.lookup, not %q.", tc.Mode)))
	}
	return tc, diags
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
