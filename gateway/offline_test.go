package gateway

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestOfflineText(t *testing.T) {
	t.Parallel()
	req := &Request{Model: "claude-haiku-4-5", Messages: []Message{
		{Role: "system", Content: TextContent("Be brief.")},
		{Role: "user", Content: TextContent("first question")},
		{Role: "assistant", Content: TextContent("an answer")},
		{Role: "user", Content: TextContent("Summarise   this\nlong text about HCL, Terraform and prompt pipelines in one line please")},
	}}
	resp, err := Offline{}.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^\[offline claude-haiku-4-5\] Summarise this long text about HCL, Terraform and prompt pip… #[0-9a-f]{8}$`)
	if !want.MatchString(resp.Text()) {
		t.Errorf("wrong text\ngot:  %s\nwant: %s", resp.Text(), want)
	}
	if !regexp.MustCompile(`^offline-[0-9a-f]{16}$`).MatchString(resp.RequestID) {
		t.Errorf("wrong request id %q", resp.RequestID)
	}
	hash := resp.RequestID[len("offline-"):][:8]
	if !strings.HasSuffix(resp.Text(), "#"+hash) {
		t.Errorf("text and request id use different hashes: %q, %q", resp.Text(), resp.RequestID)
	}
	u := resp.Usage
	if u.InputTokens != 2+2+2+14 || u.OutputTokens != len(strings.Fields(resp.Text())) || u.TotalTokens != u.InputTokens+u.OutputTokens {
		t.Errorf("wrong usage\ngot:  %+v", *u)
	}
	if resp.Model != req.Model || resp.FinishReason() != "stop" || resp.HTTPStatusCode != 200 || resp.LLMStatusCode != 200 || resp.ResponseTime != 0 {
		t.Errorf("wrong metadata\ngot:  %+v", resp)
	}
}

func TestOfflineDeterministic(t *testing.T) {
	t.Parallel()
	mk := func(prompt string, temp float64) *Request {
		return &Request{Model: "m", Prompt: prompt, Temperature: &temp}
	}
	answer := func(r *Request) string {
		resp, err := Offline{}.Chat(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Text()
	}
	a, again := answer(mk("hello", 0)), answer(mk("hello", 0))
	if a != again {
		t.Errorf("same request, different answers\ngot:  %s\nwant: %s", again, a)
	}
	for name, other := range map[string]*Request{
		"other prompt":      mk("hello!", 0),
		"other temperature": mk("hello", 0.5),
	} {
		if b := answer(other); b == a {
			t.Errorf("%s: same answer %q", name, b)
		}
	}
}

func TestOfflineStructured(t *testing.T) {
	t.Parallel()
	schema := json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"},"bullets":{"type":"array","items":{"type":"string"},"minItems":1}},"required":["title","bullets"]}`)
	req := &Request{Model: "m", Prompt: "p",
		ResponseFormat: &ResponseFormat{Type: "json_schema", JSONSchema: &JSONSchema{Name: "brief", Schema: schema}}}
	resp, err := Offline{}.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"bullets":[""],"title":""}`; resp.Text() != want {
		t.Errorf("wrong structured answer\ngot:  %s\nwant: %s", resp.Text(), want)
	}
}

func TestOfflineToolCall(t *testing.T) {
	t.Parallel()
	tools := []Tool{
		{Type: "function", Function: ToolFunction{Name: "other", Parameters: json.RawMessage(`{"type":"object"}`)}},
		{Type: "function", Function: ToolFunction{Name: "search", Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string","minLength":1}},"required":["q"]}`)}},
	}
	tests := map[string]struct {
		choice   *ToolChoice
		wantCall string // "" for a text answer
	}{
		"named tool":     {&ToolChoice{Function: "search"}, `search {"q":"a"}`},
		"unknown tool":   {&ToolChoice{Function: "nope"}, ""},
		"auto":           {&ToolChoice{Mode: "auto"}, ""},
		"no tool_choice": {nil, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := &Request{Model: "m", Prompt: "find", Tools: tools, ToolChoice: tc.choice}
			resp, err := Offline{}.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			calls := resp.AllToolCalls()
			if tc.wantCall == "" {
				if len(calls) != 0 || resp.FinishReason() != "stop" {
					t.Errorf("wrong answer\ngot:  %d calls, finish %q\nwant: text", len(calls), resp.FinishReason())
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("wrong number of calls\ngot:  %d\nwant: 1", len(calls))
			}
			c := calls[0]
			if got := c.Function.Name + " " + c.Function.Arguments; got != tc.wantCall || c.ID != "call_offline_1" || c.Type != "function" {
				t.Errorf("wrong call\ngot:  %s (id %q, type %q)\nwant: %s (id \"call_offline_1\")", got, c.ID, c.Type, tc.wantCall)
			}
			if resp.FinishReason() != "tool_calls" || !resp.Choices[0].Message.Content.IsNull() {
				t.Errorf("wrong finish %q or non-null content", resp.FinishReason())
			}
		})
	}
}

func TestOfflineCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Offline{}).Chat(ctx, hello()); err != context.Canceled {
		t.Errorf("wrong error\ngot:  %v\nwant: context.Canceled", err)
	}
}
