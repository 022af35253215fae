package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// mockClient answers a model's requests in a test from its mock_model
// block; it never opens a connection. A model without a mock answers
// every request with an error that says so.
type mockClient struct {
	model    *planner.Model
	mock     *mockModel // nil: the test mocks no model of this name
	answered func(inst addrs.StepInstance, model string, mock *mockModel)
}

// mockClients returns the executor's clients of a run: each model of the
// root module by its name, mocked by the run's mocks. answered is told
// which mock answered each instance.
func mockClients(mocks map[string]*mockModel, answered func(addrs.StepInstance, string, *mockModel)) func(*planner.Model) executor.ChatClient {
	return func(m *planner.Model) executor.ChatClient {
		var mock *mockModel
		if m.NS == "" {
			mock = mocks[m.Name]
		}
		return &mockClient{model: m, mock: mock, answered: answered}
	}
}

func (c *mockClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	step, inst := "", executor.InstanceOf(ctx)
	if inst != nil {
		step = inst.Addr.Step.String()
	}
	switch {
	case c.model.NS != "":
		return nil, fmt.Errorf("%s uses model.%s of %s, and mock_model blocks replace only the models of the root module",
			orAny(step), c.model.Name, strings.TrimSuffix(c.model.NS, "."))
	case c.mock == nil:
		return nil, fmt.Errorf("%s uses model.%s (%s), which this test does not mock: add mock_model %q { ... } to the file or the run",
			orAny(step), c.model.Name, c.model.ID, c.model.Name)
	}
	a, text, err := c.mock.answer(step, req)
	if err != nil {
		return nil, err
	}
	if err := offered(c.mock, step, a, req); err != nil {
		return nil, err
	}
	if inst != nil && c.answered != nil {
		c.answered(inst.Addr, c.model.Name, c.mock)
	}
	return mockResponse(req, a, text), nil
}

func (c *mockClient) ChatStream(ctx context.Context, req *gateway.Request) (*gateway.Stream, error) {
	plain := *req
	plain.Stream = nil
	resp, err := c.Chat(ctx, &plain)
	if err != nil {
		return nil, err
	}
	return gateway.StreamOf(resp), nil
}

// offered reports an answer calling a tool its request does not offer.
func offered(m *mockModel, step string, a *mockAnswer, req *gateway.Request) error {
	if a == nil {
		return nil
	}
	var names []string
	for _, t := range req.Tools {
		names = append(names, t.Function.Name)
	}
	for _, tc := range a.toolCalls {
		if !slices.Contains(names, tc.name) {
			offers := "no tools"
			if len(names) > 0 {
				offers = "only " + strings.Join(names, ", ")
			}
			return fmt.Errorf("mock_model %q answers %s with a call of the tool %q, which its request does not offer (it offers %s)",
				m.name, orAny(step), tc.name, offers)
		}
	}
	return nil
}

func orAny(step string) string {
	if step == "" {
		return "a step"
	}
	return step
}

// answer finds the answer to a request of step: the first answer block
// whose step and match fit, else the default. An answer with tool calls
// fits only a request that does not end with tool results, so that the
// round after the tools ran is answered by a later answer (or the
// default) rather than by the same calls again.
//
// match is tried on the request's last user message; on a request that
// ends with tool results (the round after the tools ran), on those
// results, so that an answer can depend on what a tool returned.
func (m *mockModel) answer(step string, req *gateway.Request) (*mockAnswer, string, error) {
	last, afterTools := matchText(req)
	for _, a := range m.answers {
		switch {
		case a.step != "" && a.step != step:
		case a.match != nil && !a.match.MatchString(last):
		case len(a.toolCalls) > 0 && afterTools:
		default:
			return a, a.text, nil
		}
	}
	if m.def != nil {
		return nil, *m.def, nil
	}
	what := "last user message"
	if afterTools {
		what = "tool results"
	}
	return nil, "", fmt.Errorf("mock_model %q has no answer for %s: no answer block fits its request (%s %q), and it has no default",
		m.name, orAny(step), what, excerptText(last, 80))
}

// matchText is what match patterns are tried on: the text of the tool
// results a request ends with, or else its last user message; and whether
// it ends with tool results.
func matchText(req *gateway.Request) (string, bool) {
	var results []string
	for i := len(req.Messages) - 1; i >= 0 && req.Messages[i].Role == "tool"; i-- {
		results = append([]string{req.Messages[i].Content.String()}, results...)
	}
	if len(results) > 0 {
		return strings.Join(results, "\n"), true
	}
	return req.LastUserText(), false
}

// excerptText cuts s to at most n runes.
func excerptText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// mockResponse is the response a mock gives: the text, or the tool calls,
// with usage counted in words as the offline model counts it.
func mockResponse(req *gateway.Request, a *mockAnswer, text string) *gateway.Response {
	zero := 0
	choice := gateway.Choice{Index: &zero, Message: gateway.Message{Role: "assistant"}, FinishReason: "stop"}
	if a != nil && len(a.toolCalls) > 0 {
		for i, tc := range a.toolCalls {
			choice.Message.ToolCalls = append(choice.Message.ToolCalls, gateway.ToolCall{
				ID: fmt.Sprintf("call_mock_%d", i+1), Type: "function",
				Function: gateway.FunctionCall{Name: tc.name, Arguments: tc.arguments},
			})
		}
		choice.FinishReason = "tool_calls"
	} else {
		choice.Message.Content = gateway.Content{Text: &text}
	}
	in := 0
	for _, msg := range req.Messages {
		in += len(strings.Fields(msg.Content.String()))
	}
	out := len(strings.Fields(text))
	return &gateway.Response{
		RequestID: "mock", Model: req.Model, Choices: []gateway.Choice{choice},
		Usage:          &gateway.Usage{InputTokens: in, OutputTokens: out, TotalTokens: in + out, PromptTokens: in, CompletionTokens: out},
		HTTPStatusCode: 200, LLMStatusCode: 200, Attempts: 1,
	}
}
