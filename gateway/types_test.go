package gateway

import (
	"encoding/json"
	"reflect"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestRequestMarshal(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		req  Request
		want string
	}{
		"unset fields omitted": {
			req:  Request{Model: "m", Prompt: "hi"},
			want: `{"model":"m","prompt":"hi"}`,
		},
		"temperature zero kept": {
			req:  Request{Model: "m", Prompt: "hi", Temperature: ptr(0.0), MaxTokens: ptr(0)},
			want: `{"max_tokens":0,"model":"m","prompt":"hi","temperature":0}`,
		},
		"null content and tool choice": {
			req: Request{Model: "m", Messages: []Message{{Role: "assistant"}},
				ToolChoice: &ToolChoice{Function: "f"}},
			want: `{"messages":[{"content":null,"role":"assistant"}],"model":"m","tool_choice":{"function":{"name":"f"},"type":"function"}}`,
		},
		"extra merged at top level": {
			req: Request{Model: "m", Prompt: "p", Extra: map[string]json.RawMessage{
				"model_region": json.RawMessage(`"global"`),
			}},
			want: `{"model":"m","model_region":"global","prompt":"p"}`,
		},
		"extra cannot override known fields": {
			req: Request{Model: "m", Prompt: "p", Extra: map[string]json.RawMessage{
				"model":       json.RawMessage(`"other"`),
				"temperature": json.RawMessage(`1.5`),
			}},
			want: `{"model":"m","prompt":"p"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.req.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("wrong request JSON\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestCanonicalOrderIndependent(t *testing.T) {
	t.Parallel()
	a := Request{Model: "m", Prompt: "p", Extra: map[string]json.RawMessage{
		"reasoning": json.RawMessage(`{"effort":"low","max_tokens":5}`),
		"b":         json.RawMessage(`1`),
		"a":         json.RawMessage(`2`),
	}}
	b := Request{Model: "m", Prompt: "p", Extra: map[string]json.RawMessage{
		"a":         json.RawMessage(`2`),
		"reasoning": json.RawMessage(`{ "max_tokens": 5, "effort": "low" }`),
		"b":         json.RawMessage(`1`),
	}}
	ca, err := a.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(ca) != string(cb) {
		t.Errorf("canonical forms differ\ngot:  %s\nwant: %s", cb, ca)
	}
}

func TestRequestRoundTripKeepsExtra(t *testing.T) {
	t.Parallel()
	in := `{"model":"m","post_processing_steps":[{"type":"json-repair"}],"prompt":"p"}`
	var req Request
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	got, err := req.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != in {
		t.Errorf("wrong round trip\ngot:  %s\nwant: %s", got, in)
	}
}

func TestResponseDecode(t *testing.T) {
	t.Parallel()
	type want struct {
		text      string
		calls     []string // function names
		finish    string
		usage     Usage
		nilUsage  bool
		numChoice int
	}
	tests := map[string]struct {
		body string
		want want
	}{
		"documented usage names": {
			body: `{"request_id":"r","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
				"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}`,
			want: want{text: "hi", finish: "stop", usage: Usage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5}, numChoice: 1},
		},
		"openai usage names only": {
			body: `{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`,
			want: want{text: "hi", usage: Usage{InputTokens: 3, OutputTokens: 2, TotalTokens: 5, PromptTokens: 3, CompletionTokens: 2}, numChoice: 1},
		},
		"tool calls inside message": {
			body: `{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"a","arguments":"{}"}}]},"finish_reason":"tool_use"}]}`,
			want: want{calls: []string{"a"}, finish: "tool_use", nilUsage: true, numChoice: 1},
		},
		"tool calls beside message, no type": {
			body: `{"choices":[{"index":0,"message":{"role":"assistant","content":null},"tool_calls":[{"id":"c1","function":{"name":"b","arguments":"{}"}}]}]}`,
			want: want{calls: []string{"b"}, nilUsage: true, numChoice: 1},
		},
		"split across choices": {
			body: `{"choices":[{"index":0,"message":{"content":"thinking "}},
				{"index":1,"message":{"content":null,"tool_calls":[{"function":{"name":"x","arguments":"{}"}}]}},
				{"message":{"content":null},"tool_calls":[{"function":{"name":"y","arguments":"{}"}}],"finish_reason":"tool_calls"}]}`,
			want: want{text: "thinking ", calls: []string{"x", "y"}, finish: "tool_calls", nilUsage: true, numChoice: 3},
		},
		"null top-level fields": {
			body: `{"request_id":null,"model":null,"choices":[{"message":{"content":"ok"},"finish_reason":null}],
				"request":null,"usage":null,"http_status_code":null,"response_time":null,"llm_status_code":null}`,
			want: want{text: "ok", nilUsage: true, numChoice: 1},
		},
		"content parts": {
			body: `{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}`,
			want: want{text: "ab", nilUsage: true, numChoice: 1},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var resp Response
			if err := json.Unmarshal([]byte(tc.body), &resp); err != nil {
				t.Fatalf("decode: %s", err)
			}
			var calls []string
			for _, c := range resp.AllToolCalls() {
				calls = append(calls, c.Function.Name)
			}
			got := want{text: resp.Text(), calls: calls, finish: resp.FinishReason(), nilUsage: resp.Usage == nil, numChoice: len(resp.Choices)}
			if resp.Usage != nil {
				got.usage = *resp.Usage
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("wrong decoded response\ngot:  %+v\nwant: %+v", got, tc.want)
			}
		})
	}
}
