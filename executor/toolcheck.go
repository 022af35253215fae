package executor

import (
	"fmt"
	"strings"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// toolParams returns the compiled parameters of each tool offered, keyed by
// tool name; each tool block is compiled once per run.
func (s *scheduler) toolParams(tools []*planner.Tool) (map[string]*resultSchema, error) {
	out := make(map[string]*resultSchema, len(tools))
	for _, t := range tools {
		c, ok := s.params[t.Name]
		if !ok {
			if len(t.Parameters) > 0 {
				var err error
				if c, err = compileSchema("tool."+t.Name, t.Parameters); err != nil {
					return nil, err
				}
			}
			s.params[t.Name] = c
		}
		out[t.Name] = c
	}
	return out, nil
}

// checkedCall is a tool call from a model, checked: the tool it names, or
// why it may not run.
type checkedCall struct {
	gateway.ToolCall
	tool *planner.Tool
	err  error // not nil: the call is not run, and the model is told why
}

// checkCalls checks every tool call of an answer before anything runs: the
// tool must be one the step offers, and the arguments JSON that matches its
// parameters. Empty arguments mean no arguments, {}.
func (c *call) checkCalls(calls []gateway.ToolCall) (checked []checkedCall, valid bool) {
	valid = true
	for _, tc := range calls {
		t, err := c.checkCall(tc)
		if err != nil {
			err = fmt.Errorf("the call was not run: %w", err)
			valid = false
		}
		checked = append(checked, checkedCall{ToolCall: tc, tool: t, err: err})
	}
	return checked, valid
}

func (c *call) checkCall(tc gateway.ToolCall) (*planner.Tool, error) {
	name := tc.Function.Name
	t := findTool(c.rendered.Tools, name)
	if t == nil {
		return nil, fmt.Errorf("the step offers no tool named %q; it offers %s", name, toolNames(c.rendered.Tools))
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(toolArguments(tc)))
	if err != nil {
		return t, fmt.Errorf("the arguments of tool %q are not valid JSON: %w", name, err)
	}
	if sch := c.tools[name]; sch != nil {
		if err := sch.schema.Validate(doc); err != nil {
			return t, fmt.Errorf("the arguments of tool %q do not match its parameters: %s", name, strings.Join(problemsOf(err), "; "))
		}
	}
	return t, nil
}

// toolArguments returns a call's arguments, {} when it has none.
func toolArguments(tc gateway.ToolCall) string {
	if strings.TrimSpace(tc.Function.Arguments) == "" {
		return "{}"
	}
	return tc.Function.Arguments
}

// toolNames lists the names of tools for a message: "lookup, search", or
// "none".
func toolNames(tools []*planner.Tool) string {
	if len(tools) == 0 {
		return "none"
	}
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

// endsStep reports whether an answer whose calls are all valid ends the
// step: a call to a tool without a command is the step's result (function
// calling as extraction). Otherwise promptform runs the calls and asks again.
func endsStep(calls []checkedCall) bool {
	for _, cc := range calls {
		if cc.tool.Command == nil {
			return true
		}
	}
	return false
}

func findTool(tools []*planner.Tool, name string) *planner.Tool {
	for _, t := range tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}
