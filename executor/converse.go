package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// exchange is what one step instance's requests and answers produced.
type exchange struct {
	resp           *gateway.Response
	model          string          // the model id asked for the last answer
	result         json.RawMessage // the validated result, encoded as its type
	schemaAttempts int
	rounds         []state.Round
	modelAttempts  []state.ModelAttempt
	requests       int
	usage          state.Usage // of every answer: tool rounds and schema retries cost too
	// asked is the model the dialog was with, and sent its first request:
	// what the answers are priced from.
	asked *planner.Model
	sent  *gateway.Request
}

// answeredBy names the model of the last answer: the one the response
// names, else the one asked.
func (ex *exchange) answeredBy() string {
	if ex.resp != nil && ex.resp.Model != "" {
		return ex.resp.Model
	}
	return ex.model
}

// add takes in one answer.
func (ex *exchange) add(resp *gateway.Response, model string) {
	ex.resp, ex.model = resp, model
	if u := resp.Usage; u != nil {
		ex.usage.InputTokens += u.InputTokens
		ex.usage.OutputTokens += u.OutputTokens
		ex.usage.TotalTokens += u.TotalTokens
		read, write, write1h := u.CacheTokens()
		ex.usage.CacheReadTokens += read
		ex.usage.CacheWriteTokens += write
		ex.usage.CacheWrite1hTokens += write1h
	}
}

// converse makes a step instance's calls: the model (or each model of a
// client-mode fallback chain, in order, moving on only for transient
// failures and never after the first interrupt), the tool loop, and the
// schema retries. A failure that was paid for and is worth recording comes
// with its exchange; any other with none.
func (r *runner) converse(c *call) (*exchange, error) {
	fb := c.rendered.Fallback
	if fb == nil || fb.Mode != config.FallbackClient {
		return r.dialog(c, c.req, c.model)
	}
	errs := &multierror.Error{ErrorFormat: attemptsFormat}
	var tried []state.ModelAttempt
	for i, m := range fb.Models {
		req, err := r.nextModel(c, i, m)
		if err != nil {
			return nil, err
		}
		ex, err := r.dialog(c, req, m)
		if err == nil {
			ex.modelAttempts = append(tried, state.ModelAttempt{Model: m.ID})
			return ex, nil
		}
		tried = append(tried, state.ModelAttempt{Model: m.ID, Error: err.Error()})
		errs = multierror.Append(errs, fmt.Errorf("model %q: %w", m.ID, err))
		if ex != nil {
			ex.modelAttempts = tried
			return ex, errs.ErrorOrNil()
		}
		if gateway.Classify(err) != gateway.ClassTransient || r.callCtx.Err() != nil {
			break // a fallback cannot fix a bad request or a refused key
		}
	}
	return nil, errs.ErrorOrNil()
}

// nextModel returns the request for the i-th model of a fallback chain:
// the call's own for the first, else a new one, announced to the hook.
// After the first interrupt there is no new request: it returns the
// interrupt's error.
func (r *runner) nextModel(c *call, i int, m *planner.Model) (*gateway.Request, error) {
	if i == 0 {
		return c.req, nil
	}
	if err := r.stop.Err(); err != nil {
		return nil, err
	}
	req, err := c.rendered.RequestFor(m)
	if err != nil {
		return nil, err
	}
	r.hook.FallbackUsed(c.inst.Address(), m.ID)
	return req, nil
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
// max_tool_rounds, the exchange comes back with the error, to be recorded.
func (r *runner) dialog(c *call, req *gateway.Request, m *planner.Model) (*exchange, error) {
	ex := &exchange{asked: m, sent: req}
	cv := &conversation{req: req, msgs: append([]gateway.Message(nil), req.Messages...)}
	for {
		resp, err := r.chat(c, m, cv.next())
		ex.requests++
		if err != nil {
			return nil, err
		}
		ex.add(resp, req.Model)
		if calls := resp.AllToolCalls(); len(calls) > 0 {
			if done, err := r.toolRound(c, cv, ex, calls); done {
				return ex, err
			}
			continue
		}
		done, err := cv.checkAnswer(c, ex, resp)
		switch {
		case err != nil:
			return ex, err // paid for: recorded as failed, with its usage and cost
		case done:
			return ex, nil
		}
	}
}

// conversation is the messages of a dialog with one model so far.
type conversation struct {
	req  *gateway.Request // the first request
	msgs []gateway.Message
	ran  bool // a tool has answered a valid call
}

// next returns the request to send next: the first one's, with every
// message so far. After a forced tool call has been answered the model
// may answer as it likes; until then (its calls were invalid) it is still
// forced.
func (cv *conversation) next() *gateway.Request {
	cur := *cv.req
	cur.Messages = cv.msgs
	if cv.ran && cur.ToolChoice != nil && cur.ToolChoice.Function != "" {
		cur.ToolChoice = &gateway.ToolChoice{Mode: "auto"}
	}
	return &cur
}

// toolRound takes in an answer that calls tools, and reports whether it
// ends the dialog: when its calls are valid and one is to a tool without a
// command, the call is the step's result; when max_tool_rounds are spent,
// the step fails with the error returned. Otherwise the calls are
// answered and the model asked again.
func (r *runner) toolRound(c *call, cv *conversation, ex *exchange, calls []gateway.ToolCall) (done bool, err error) {
	checked, valid := c.checkCalls(calls)
	if valid && endsStep(checked) {
		return true, nil
	}
	if rounds := c.inst.Step.MaxToolRounds; len(ex.rounds) >= rounds {
		return true, fmt.Errorf("the model kept calling tools after %s (max_tool_rounds)", planner.Plural(rounds, "round"))
	}
	round, replies := r.runTools(c, checked)
	cv.ran = cv.ran || valid
	ex.rounds = append(ex.rounds, round)
	cv.msgs = append(cv.msgs, gateway.Message{Role: "assistant", Content: gateway.Content{}, ToolCalls: calls})
	cv.msgs = append(cv.msgs, replies...)
	return false, nil
}

// checkAnswer takes in an answer in text, and reports whether it ends the
// dialog: without a schema it does; with one, an answer that matches it
// does, with its result, and one that does not once output_retries are
// spent, with the error returned. Otherwise the model is told what is
// wrong and asked again.
func (cv *conversation) checkAnswer(c *call, ex *exchange, resp *gateway.Response) (done bool, err error) {
	sc := c.rendered.Schema
	if sc == nil {
		return true, nil
	}
	ex.schemaAttempts++
	result, problem := checkAnswer(c.schema, sc, resp.Text())
	if problem == nil {
		ex.result = result
		return true, nil
	}
	if ex.schemaAttempts > c.inst.Step.OutputRetries {
		return true, fmt.Errorf("model %q: %w", ex.answeredBy(), problem)
	}
	cv.msgs = append(cv.msgs,
		gateway.Message{Role: "assistant", Content: gateway.TextContent(resp.Text())},
		gateway.Message{Role: "user", Content: gateway.TextContent(
			"That answer does not match the required JSON schema:\n" + problem.reason +
				"\nAnswer again with only the corrected JSON.")})
	return false, nil
}

// instanceKey is the context key of the instance a request is sent for.
type instanceKey struct{}

// InstanceOf returns the step instance a request is sent for, from the
// context the executor gives a ChatClient; nil for any other context.
func InstanceOf(ctx context.Context) *planner.Instance {
	inst, _ := ctx.Value(instanceKey{}).(*planner.Instance)
	return inst
}

// chat sends one request, streamed when it asks to be. The request in
// flight runs under the call context (the second interrupt abandons it);
// the run's context stops the client's retries (the first interrupt ends a
// wait before a retry, and the call returns the context's error).
func (r *runner) chat(c *call, m *planner.Model, req *gateway.Request) (*gateway.Response, error) {
	client := r.client(m)
	ctx := gateway.WithRetryStop(r.callCtx, r.stop)
	ctx = context.WithValue(ctx, instanceKey{}, c.inst)
	if req.Stream == nil || !*req.Stream {
		return client.Chat(ctx, req)
	}
	st, err := client.ChatStream(ctx, req)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	addr := c.inst.Address()
	live := !c.rendered.Sensitive() // a sensitive step's answer is never shown
	for st.Next() {
		for _, ch := range st.Current().Choices {
			if live && ch.Delta.Content != "" {
				r.hook.StepDelta(addr, ch.Delta.Content)
			}
		}
	}
	if err := st.Err(); err != nil {
		return nil, err
	}
	return st.Response(), nil
}
