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
	model          string          // the model id asked for the last answer
	result         json.RawMessage // the validated result, encoded as its type
	schemaAttempts int
	rounds         []state.Round
	modelAttempts  []state.ModelAttempt
	requests       int
	usage          state.Usage // of every answer: tool rounds and schema retries cost too
}

// answeredBy names the model of the last answer: the one the response
// names, else the one asked.
func (o *outcome) answeredBy() string {
	if o.resp != nil && o.resp.Model != "" {
		return o.resp.Model
	}
	return o.model
}

// add takes in one answer.
func (o *outcome) add(resp *gateway.Response, model string) {
	o.resp, o.model = resp, model
	if u := resp.Usage; u != nil {
		o.usage.InputTokens += u.InputTokens
		o.usage.OutputTokens += u.OutputTokens
		o.usage.TotalTokens += u.TotalTokens
	}
}

// converse makes a step instance's calls: the model (or each model of a
// client-mode fallback chain, in order, moving on only for transient
// failures and never after the first interrupt), the tool loop, and the
// schema retries. A failure that was paid for and is worth recording comes
// with its outcome; any other with none.
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
			if err := s.ctx.Err(); err != nil {
				return nil, err // interrupted: the next model would be a new request
			}
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
		if out != nil {
			out.modelAttempts = tried
			return out, errs.ErrorOrNil()
		}
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
// calls command-backed tools (or makes calls that cannot run, which it is
// told about), and new answers while one fails the schema and
// output_retries allow. When the model still calls tools after
// max_tool_rounds, the outcome comes back with the error, to be recorded.
func (s *scheduler) dialog(c *call, req *gateway.Request, m *planner.Model) (*outcome, error) {
	out := &outcome{}
	r, step := c.rendered, c.inst.Step
	msgs := append([]gateway.Message(nil), req.Messages...)
	ran := false // a tool has answered a valid call
	for {
		cur := *req
		cur.Messages = msgs
		if ran && cur.ToolChoice != nil && cur.ToolChoice.Function != "" {
			// After a forced call has been answered, let the model answer;
			// until then (its calls were invalid) it is still forced.
			cur.ToolChoice = &gateway.ToolChoice{Mode: "auto"}
		}
		resp, err := s.chat(c, m, &cur)
		out.requests++
		if err != nil {
			return nil, err
		}
		out.add(resp, req.Model)
		if calls := resp.AllToolCalls(); len(calls) > 0 {
			checked, valid := c.checkCalls(calls)
			if valid && endsStep(checked) {
				return out, nil // the step offered the tool: its call is the result
			}
			if len(out.rounds) >= step.MaxToolRounds {
				return out, fmt.Errorf("the model kept calling tools after %s (max_tool_rounds)", plural(step.MaxToolRounds, "round"))
			}
			round, replies := s.runTools(c, checked)
			ran = ran || valid
			out.rounds = append(out.rounds, round)
			msgs = append(msgs, gateway.Message{Role: "assistant", Content: gateway.Content{}, ToolCalls: calls})
			msgs = append(msgs, replies...)
			continue
		}
		if r.Schema == nil {
			return out, nil
		}
		out.schemaAttempts++
		result, problem := checkAnswer(c.schema, r.Schema, resp.Text())
		if problem == nil {
			out.result = result
			return out, nil
		}
		if out.schemaAttempts > step.OutputRetries {
			return nil, fmt.Errorf("model %q: %w", out.answeredBy(), problem)
		}
		msgs = append(msgs,
			gateway.Message{Role: "assistant", Content: gateway.TextContent(resp.Text())},
			gateway.Message{Role: "user", Content: gateway.TextContent(
				"That answer does not match the required JSON schema:\n" + strings.TrimPrefix(problem.Error(), "executor: ") +
					"\nAnswer again with only the corrected JSON.")})
	}
}

// chat sends one request, streamed when it asks to be. The request in
// flight runs under CallContext (the second interrupt abandons it); the
// run's context stops the client's retries (the first interrupt ends a
// wait before a retry, and the call returns the context's error).
func (s *scheduler) chat(c *call, m *planner.Model, req *gateway.Request) (*gateway.Response, error) {
	client := s.opts.Client(m)
	ctx := gateway.WithRetryStop(s.opts.CallContext, s.ctx)
	if req.Stream == nil || !*req.Stream {
		return client.Chat(ctx, req)
	}
	st, err := client.ChatStream(ctx, req)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	addr := c.inst.Addr.String()
	live := !c.rendered.Sensitive() // a sensitive step's answer is never shown
	for st.Next() {
		for _, ch := range st.Current().Choices {
			if live && ch.Delta.Content != "" {
				s.opts.Hook.StepDelta(addr, ch.Delta.Content)
			}
		}
	}
	if err := st.Err(); err != nil {
		return nil, err
	}
	return st.Response(), nil
}

// runTools answers the calls of one round and returns the round's record
// and the tool messages answering the calls. A valid call to a tool with a
// command runs it; a failing command is reported to the model as the
// call's result, with its error. An invalid call is not run: the model gets
// why as its result. A valid call to a tool without a command, beside an
// invalid one, is not taken as the step's result: the model is asked to
// make its calls again.
func (s *scheduler) runTools(c *call, calls []checkedCall) (state.Round, []gateway.Message) {
	round := state.Round{}
	var replies []gateway.Message
	addr := c.inst.Addr.String()
	for _, cc := range calls {
		tr := state.ToolResult{ID: cc.ID, Name: cc.Function.Name}
		var content string
		switch {
		case cc.err != nil:
			tr.Error = c.redact.text(cc.err.Error())
			content = "error: " + cc.err.Error()
			s.opts.Hook.ToolRan(addr, tr.Name, 0, errors.New(tr.Error))
		case cc.tool.Command == nil:
			tr.Error = "the call was not used: another call of the same answer was invalid"
			content = "error: " + tr.Error + "; make the calls again"
		default:
			t := cc.tool
			res := runTool(s.opts.CallContext, toolCommand{Argv: t.Command, Dir: s.plan.Config.Dir, Env: t.Env, Timeout: t.Timeout}, []byte(toolArguments(cc.ToolCall)))
			tr.Output, tr.DurationMS, content = res.Stdout, res.Duration.Milliseconds(), res.Stdout
			var err error
			if res.Err != nil {
				err = c.redact.error(res.Err)
				tr.Error = err.Error()
				content = "error: " + res.Err.Error()
			}
			s.opts.Hook.ToolRan(addr, t.Name, res.Duration, err)
		}
		round.ToolCalls = append(round.ToolCalls, state.ToolCall{ID: cc.ID, Name: cc.Function.Name, Arguments: cc.Function.Arguments})
		round.Results = append(round.Results, tr)
		replies = append(replies, gateway.Message{Role: "tool", ToolCallID: cc.ID, Content: gateway.TextContent(content)})
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

// plural spells a count of things: "1 round", "3 rounds".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
