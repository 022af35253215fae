package executor

import (
	"errors"
	"fmt"
	"strings"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// runTools answers the calls of one round and returns the round's record
// and the tool messages answering the calls.
func (r *runner) runTools(c *call, calls []checkedCall) (state.Round, []gateway.Message) {
	round := state.Round{}
	var replies []gateway.Message
	for _, cc := range calls {
		tr, content := r.answerCall(c, cc)
		round.ToolCalls = append(round.ToolCalls, state.ToolCall{ID: cc.ID, Name: cc.Function.Name, Arguments: cc.Function.Arguments})
		round.Results = append(round.Results, tr)
		replies = append(replies, gateway.Message{Role: "tool", ToolCallID: cc.ID, Content: gateway.TextContent(content)})
	}
	return round, replies
}

// answerCall answers one checked call: its record, and the content of the
// tool message the model reads. A valid call to a tool with a command runs
// it; a failing command is reported to the model as the call's result,
// with its error. An invalid call is not run: the model gets why as its
// result. A valid call to a tool without a command, beside an invalid one,
// is not taken as the step's result: the model is asked to make its calls
// again. Errors are recorded and reported scrubbed of sensitive values;
// the model, which sent them, reads them whole.
func (r *runner) answerCall(c *call, cc checkedCall) (tr state.ToolResult, content string) {
	tr = state.ToolResult{ID: cc.ID, Name: cc.Function.Name}
	addr := c.inst.Address()
	switch {
	case cc.err != nil:
		tr.Error = c.redact.text(cc.err.Error())
		r.hook.ToolRan(addr, tr.Name, 0, errors.New(tr.Error))
		return tr, "error: " + cc.err.Error()
	case cc.tool.Command == nil:
		tr.Error = "the call was not used: another call of the same answer was invalid"
		return tr, "error: " + tr.Error + "; make the calls again"
	}
	t := cc.tool
	dir := t.Dir
	if dir == "" {
		dir = r.dir
	}
	cmd := toolCommand{Argv: t.Command, Dir: dir, Env: t.Env, Timeout: t.Timeout}
	res := r.runTool(r.callCtx, cmd, []byte(toolArguments(cc.ToolCall)))
	tr.Output, tr.DurationMS, content = res.Stdout, res.Duration.Milliseconds(), res.Stdout
	var err error
	if res.Err != nil {
		err = c.redact.error(res.Err)
		tr.Error = err.Error()
		content = "error: " + res.Err.Error()
	}
	r.hook.ToolRan(addr, t.Name, res.Duration, err)
	return tr, content
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
