package planner

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// renderMessages evaluates system and prompt, or the message blocks.
func (r *Rendered) renderMessages(s *config.Step, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if s.System != nil {
		diags = append(diags, r.addText("system", "system", s.System, ctx)...)
	}
	if s.Prompt != nil {
		diags = append(diags, r.addText("user", "prompt", s.Prompt, ctx)...)
	}
	for _, m := range s.Messages {
		diags = append(diags, r.addBlock(m, ctx)...)
	}
	return diags
}

// addText adds a message whose content is one string, from the attribute
// attr.
func (r *Rendered) addText(role, attr string, expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	v, sensitive, diags := evalMarked(expr, ctx, cty.String, attr)
	if diags.HasErrors() {
		return diags
	}
	if v.IsNull() {
		return hcl.Diagnostics{exprDiag(expr, "Null message content", "The text of a message must not be null.")}
	}
	rm := RenderedMessage{Role: role, Wire: gateway.Message{Role: role}, Sensitive: sensitive}
	rm.Display = displaySegments(expr, v, ctx, rm.Sensitive, r.varDisplay)
	if v.IsKnown() {
		rm.Wire.Content = gateway.TextContent(v.AsString())
	} else {
		r.Known = false
	}
	r.Messages = append(r.Messages, rm)
	return nil
}

// addBlock adds a message block: role, content (a string, a list of text
// parts, or null beside tool calls), name, tool_call_id, tool_calls and
// cache_control.
func (r *Rendered) addBlock(m *config.Message, ctx *hcl.EvalContext) hcl.Diagnostics {
	role, sensitive, diags := evalMarked(m.Role, ctx, cty.String, "role")
	if diags.HasErrors() {
		return diags
	}
	if sensitive {
		return hcl.Diagnostics{exprDiag(m.Role, "Invalid message role",
			"A message role must not use a sensitive value: it is shown in plans and the state.")}
	}
	if !role.IsKnown() || role.IsNull() || !validRole(role.AsString()) {
		return hcl.Diagnostics{exprDiag(m.Role, "Invalid message role",
			"A message role must be \"system\", \"user\", \"assistant\" or \"tool\", known when the plan is made.")}
	}
	rm := RenderedMessage{Role: role.AsString(), Wire: gateway.Message{Role: role.AsString()}}
	diags = append(diags, r.blockContent(&rm, m, ctx)...)
	diags = append(diags, r.optString(m.Name, ctx, "name", &rm.Wire.Name, &rm)...)
	diags = append(diags, r.optString(m.ToolCallID, ctx, "tool_call_id", &rm.Wire.ToolCallID, &rm)...)
	diags = append(diags, r.toolCalls(&rm, m, ctx)...)
	diags = append(diags, r.cacheControl(&rm, m, ctx)...)
	switch {
	case rm.Role == "tool" && m.ToolCallID == nil:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing tool_call_id",
			Detail: "A message with role = \"tool\" answers a tool call and needs tool_call_id.", Subject: m.DeclRange.Ptr()})
	case m.ToolCalls != nil && rm.Role != "assistant":
		diags = append(diags, exprDiag(m.ToolCalls, "Unexpected tool_calls",
			"Only a message with role = \"assistant\" carries tool_calls."))
	case m.Content == nil && m.ToolCalls == nil:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing message content",
			Detail: "A message needs content; only an assistant message with tool_calls may leave it out.", Subject: m.DeclRange.Ptr()})
	}
	r.Messages = append(r.Messages, rm)
	return diags
}

// blockContent evaluates a message block's content.
func (r *Rendered) blockContent(rm *RenderedMessage, m *config.Message, ctx *hcl.EvalContext) hcl.Diagnostics {
	if m.Content == nil {
		return nil
	}
	v, diags := m.Content.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	v, marks := v.UnmarkDeep()
	rm.Sensitive = len(marks) > 0
	switch ty := v.Type(); {
	case v.IsNull():
		if m.ToolCalls == nil {
			return hcl.Diagnostics{exprDiag(m.Content, "Null message content", "Only an assistant message with tool_calls may have null content.")}
		}
	case (ty.IsListType() || ty.IsTupleType() || ty.IsSetType()) && rm.Role == "tool":
		return hcl.Diagnostics{exprDiag(m.Content, "Invalid tool message content",
			"A message with role = \"tool\" carries the tool's result as one string, not a list; join the parts, such as join(\"\\n\", [...]).")}
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		return r.contentParts(rm, m.Content, v)
	default:
		return r.addContentString(rm, m.Content, v, ctx)
	}
	return nil
}

func (r *Rendered) addContentString(rm *RenderedMessage, expr hcl.Expression, v cty.Value, ctx *hcl.EvalContext) hcl.Diagnostics {
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return hcl.Diagnostics{exprDiag(expr, "Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute \"content\": a string or a list of strings is required, not %s.", v.Type().FriendlyName()))}
	}
	rm.Display = displaySegments(expr, s, ctx, rm.Sensitive, r.varDisplay)
	if !s.IsKnown() {
		r.Known = false
		return nil
	}
	rm.Wire.Content = gateway.TextContent(s.AsString())
	return nil
}

// contentParts turns a list of strings into text parts.
func (r *Rendered) contentParts(rm *RenderedMessage, expr hcl.Expression, v cty.Value) hcl.Diagnostics {
	parts, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		return hcl.Diagnostics{exprDiag(expr, "Incorrect attribute value type",
			"Inappropriate value for attribute \"content\": a list of content parts must hold strings.")}
	}
	if !parts.IsWhollyKnown() {
		r.Known = false
		rm.Display = []Segment{{Unknown: true}}
		return nil
	}
	rm.Wire.Content.Parts = []gateway.ContentPart{}
	if rm.Sensitive {
		rm.Display = []Segment{{Sensitive: true}}
	}
	for i, p := range parts.AsValueSlice() {
		rm.Wire.Content.Parts = append(rm.Wire.Content.Parts, gateway.ContentPart{Type: "text", Text: p.AsString()})
		if rm.Sensitive {
			continue
		}
		if i > 0 {
			rm.Display = appendSegment(rm.Display, Segment{Text: "\n"})
		}
		rm.Display = appendSegment(rm.Display, Segment{Text: p.AsString()})
	}
	return nil
}

func (r *Rendered) optString(expr hcl.Expression, ctx *hcl.EvalContext, name string, target *string, rm *RenderedMessage) hcl.Diagnostics {
	if expr == nil {
		return nil
	}
	v, sensitive, diags := evalMarked(expr, ctx, cty.String, name)
	rm.Sensitive = rm.Sensitive || sensitive
	switch {
	case diags.HasErrors() || v.IsNull():
	case !v.IsKnown():
		r.Known = false
		rm.Notes = append(rm.Notes, name+" = "+KnownAfterApply)
	case sensitive:
		*target = v.AsString()
		rm.Notes = append(rm.Notes, name+" = "+SensitiveText)
	default:
		*target = v.AsString()
		rm.Notes = append(rm.Notes, fmt.Sprintf("%s = %q", name, v.AsString()))
	}
	return diags
}

func (r *Rendered) toolCalls(rm *RenderedMessage, m *config.Message, ctx *hcl.EvalContext) hcl.Diagnostics {
	if m.ToolCalls == nil {
		return nil
	}
	v, diags := m.ToolCalls.Value(ctx)
	if diags.HasErrors() || v.IsNull() {
		return diags
	}
	v, marks := v.UnmarkDeep()
	sensitive := len(marks) > 0
	rm.Sensitive = rm.Sensitive || sensitive
	if !v.IsWhollyKnown() {
		r.Known = false
		rm.Notes = append(rm.Notes, "tool_calls = "+KnownAfterApply)
		return nil
	}
	bad := exprDiag(m.ToolCalls, "Invalid tool_calls",
		"tool_calls must be a list of objects { id = \"call_1\", name = \"lookup\", arguments = { ... } }.")
	if !v.CanIterateElements() {
		return hcl.Diagnostics{bad}
	}
	rm.Wire.ToolCalls = []gateway.ToolCall{}
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.Type().IsObjectType() || !e.Type().HasAttribute("id") || !e.Type().HasAttribute("name") || !e.Type().HasAttribute("arguments") {
			return hcl.Diagnostics{bad}
		}
		attrs := e.AsValueMap()
		id, errID := convert.Convert(attrs["id"], cty.String)
		name, errName := convert.Convert(attrs["name"], cty.String)
		args, errArgs := argumentsJSON(attrs["arguments"])
		if errID != nil || errName != nil || errArgs != nil || id.IsNull() || name.IsNull() {
			return hcl.Diagnostics{bad}
		}
		rm.Wire.ToolCalls = append(rm.Wire.ToolCalls, gateway.ToolCall{
			ID: id.AsString(), Type: "function",
			Function: gateway.FunctionCall{Name: name.AsString(), Arguments: args},
		})
		if !sensitive {
			rm.Notes = append(rm.Notes, fmt.Sprintf("tool call %s: %s(%s)", id.AsString(), name.AsString(), args))
		}
	}
	if sensitive {
		rm.Notes = append(rm.Notes, "tool_calls = "+SensitiveText)
	}
	return nil
}

// argumentsJSON returns tool-call arguments as JSON text: a string as it is,
// anything else encoded.
func argumentsJSON(v cty.Value) (string, error) {
	if v.Type() == cty.String && !v.IsNull() {
		return v.AsString(), nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	return string(b), err
}

func (r *Rendered) cacheControl(rm *RenderedMessage, m *config.Message, ctx *hcl.EvalContext) hcl.Diagnostics {
	if m.CacheControl == nil {
		return nil
	}
	v, diags := m.CacheControl.Value(ctx)
	if diags.HasErrors() || v.IsNull() {
		return diags
	}
	v, marks := v.UnmarkDeep()
	rm.Sensitive = rm.Sensitive || len(marks) > 0
	if !v.IsWhollyKnown() {
		r.Known = false
		return nil
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return hcl.Diagnostics{exprDiag(m.CacheControl, "Invalid cache_control", "cache_control must be an object such as { type = \"ephemeral\" }.")}
	}
	rm.Wire.CacheControl = json.RawMessage(b)
	note := strings.TrimSpace(string(b))
	if len(marks) > 0 {
		note = SensitiveText
	}
	rm.Notes = append(rm.Notes, "cache_control = "+note)
	return nil
}
