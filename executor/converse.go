package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// outcome is what one step instance's calls produced.
type outcome struct {
	resp           *gateway.Response
	result         json.RawMessage // the validated result, encoded as its type
	schemaAttempts int
	rounds         []state.Round
	modelAttempts  []state.ModelAttempt
	requests       int
}

// converse makes a step instance's calls: the model (or each model of a
// client-mode fallback chain, in order, moving on only for transient
// failures), the tool loop, and the schema retries.
func (s *scheduler) converse(c *call) (*outcome, error) {
	r := c.rendered
	if r.Fallback == nil || r.Fallback.Mode != config.FallbackClient {
		return s.dialog(c, c.req, c.model)
	}
	var errs *multierror.Error
	errs = &multierror.Error{ErrorFormat: attemptsFormat}
	var tried []state.ModelAttempt
	for i, m := range r.Fallback.Models {
		req := c.req
		if i > 0 {
			var err error
			if req, err = r.RequestFor(m); err != nil {
				return nil, err
			}
			s.opts.Hook.FallbackUsed(c.inst.Addr.String(), m.ID)
		}
		out, err := s.dialog(c, req, m)
		if err == nil {
			out.modelAttempts = append(tried, state.ModelAttempt{Model: m.ID})
			return out, nil
		}
		tried = append(tried, state.ModelAttempt{Model: m.ID, Error: err.Error()})
		errs = multierror.Append(errs, fmt.Errorf("model %q: %w", m.ID, err))
		if gateway.Classify(err) != gateway.ClassTransient || s.opts.CallContext.Err() != nil {
			break // a fallback cannot fix a bad request or a refused key
		}
	}
	return nil, errs.ErrorOrNil()
}

func attemptsFormat(errs []error) string {
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = err.Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return "every model of the fallback chain failed:\n  " + strings.Join(lines, "\n  ")
}

// dialog sends req to one model and follows up: tool rounds while the model
// calls command-backed tools, and new answers while one fails the schema
// and output_retries allow.
func (s *scheduler) dialog(c *call, req *gateway.Request, m *planner.Model) (*outcome, error) {
	out := &outcome{}
	r, step := c.rendered, c.inst.Step
	msgs := append([]gateway.Message(nil), req.Messages...)
	for {
		cur := *req
		cur.Messages = msgs
		if len(out.rounds) > 0 && cur.ToolChoice != nil && cur.ToolChoice.Function != "" {
			// After a forced call has been answered, let the model answer.
			cur.ToolChoice = &gateway.ToolChoice{Mode: "auto"}
		}
		resp, err := s.chat(c, m, &cur)
		out.requests++
		if err != nil {
			return nil, err
		}
		out.resp = resp
		calls := resp.AllToolCalls()
		if len(calls) > 0 && len(r.Tools) > 0 && allCommands(r.Tools, calls) {
			if len(out.rounds) >= step.MaxToolRounds {
				return nil, fmt.Errorf("the model kept calling tools after %d rounds (max_tool_rounds)", step.MaxToolRounds)
			}
			round, replies := s.runTools(c, r.Tools, calls)
			out.rounds = append(out.rounds, round)
			msgs = append(msgs, gateway.Message{Role: "assistant", Content: gateway.Content{}, ToolCalls: calls})
			msgs = append(msgs, replies...)
			continue
		}
		if r.Schema == nil || len(calls) > 0 {
			return out, nil
		}
		out.schemaAttempts++
		result, problem := checkAnswer(c.schema, r.Schema, resp.Text())
		if problem == nil {
			out.result = result
			return out, nil
		}
		if out.schemaAttempts > step.OutputRetries {
			return nil, fmt.Errorf("model %q: %w", resp.Model, problem)
		}
		msgs = append(msgs,
			gateway.Message{Role: "assistant", Content: gateway.TextContent(resp.Text())},
			gateway.Message{Role: "user", Content: gateway.TextContent(
				"That answer does not match the required JSON schema:\n" + strings.TrimPrefix(problem.Error(), "executor: ") +
					"\nAnswer again with only the corrected JSON.")})
	}
}

// chat sends one request, streamed when it asks to be.
func (s *scheduler) chat(c *call, m *planner.Model, req *gateway.Request) (*gateway.Response, error) {
	client := s.opts.Client(m)
	if req.Stream == nil || !*req.Stream {
		return client.Chat(s.opts.CallContext, req)
	}
	st, err := client.ChatStream(s.opts.CallContext, req)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	addr := c.inst.Addr.String()
	for st.Next() {
		for _, ch := range st.Current().Choices {
			if ch.Delta.Content != "" {
				s.opts.Hook.StepDelta(addr, ch.Delta.Content)
			}
		}
	}
	if err := st.Err(); err != nil {
		return nil, err
	}
	return st.Response(), nil
}

// allCommands reports whether every call is to a tool with a command: then
// promptform answers them; a call to a tool without one ends the step.
func allCommands(tools []*planner.Tool, calls []gateway.ToolCall) bool {
	for _, call := range calls {
		t := findTool(tools, call.Function.Name)
		if t == nil || t.Command == nil {
			return false
		}
	}
	return true
}

func findTool(tools []*planner.Tool, name string) *planner.Tool {
	for _, t := range tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// runTools runs the command of each call and returns the round's record and
// the tool messages answering the calls. A failing command is reported to
// the model as the call's result, with its error.
func (s *scheduler) runTools(c *call, tools []*planner.Tool, calls []gateway.ToolCall) (state.Round, []gateway.Message) {
	round := state.Round{}
	var replies []gateway.Message
	for _, call := range calls {
		t := findTool(tools, call.Function.Name)
		args := call.Function.Arguments
		if strings.TrimSpace(args) == "" {
			args = "{}"
		}
		res := runTool(s.opts.CallContext, toolCommand{Argv: t.Command, Dir: s.plan.Config.Dir, Env: t.Env, Timeout: t.Timeout}, []byte(args))
		tr := state.ToolResult{ID: call.ID, Name: t.Name, Output: res.Stdout, DurationMS: res.Duration.Milliseconds()}
		content := res.Stdout
		if res.Err != nil {
			tr.Error = res.Err.Error()
			content = "error: " + res.Err.Error()
		}
		s.opts.Hook.ToolRan(c.inst.Addr.String(), t.Name, res.Duration, res.Err)
		round.ToolCalls = append(round.ToolCalls, state.ToolCall{ID: call.ID, Name: t.Name, Arguments: call.Function.Arguments})
		round.Results = append(round.Results, tr)
		replies = append(replies, gateway.Message{Role: "tool", ToolCallID: call.ID, Content: gateway.TextContent(content)})
	}
	return round, replies
}

// checkAnswer takes the JSON out of an answer (the whole text, a fenced
// block or the JSON inside prose), validates it and decodes it as the
// schema's type; it returns the result encoded as that type.
func checkAnswer(compiled *resultSchema, sc *planner.Schema, text string) (json.RawMessage, error) {
	doc, ok := extractJSON(text)
	if !ok {
		return nil, errors.New("the answer holds no JSON")
	}
	if _, err := compiled.validate(doc); err != nil {
		return nil, err
	}
	ty := sc.Type
	v, err := decodeResult(doc, ty)
	if err != nil {
		return nil, err
	}
	if ty == cty.NilType {
		ty = v.Type()
	}
	return ctyjson.Marshal(v, ty)
}
