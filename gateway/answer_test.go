package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestErrorIn200(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body      string
		wantMsg   string
		wantClass Class
	}{
		"nested, code transient": {`{"error":{"code":503,"message":"upstream overloaded"},"request_id":"r9"}`,
			"gateway: 200 OK with an error body: upstream overloaded (request id r9)", ClassTransient},
		"nested, no code": {`{"error":{"message":"provider refused"}}`,
			"gateway: 200 OK with an error body: provider refused", ClassTerminal},
		"nested, empty choices": {`{"choices":[],"error":{"code":"400","message":"bad tool"}}`,
			"gateway: 200 OK with an error body: bad tool", ClassTerminal},
		"flat": {`{"code":422,"message":"invalid schema","metadata":{"errors":["x"]}}`,
			"gateway: 200 OK with an error body: invalid schema: x", ClassTerminal},
		"string error": {`{"error":"model unavailable","status":"error"}`,
			"gateway: 200 OK with an error body: model unavailable", ClassTerminal},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, call := range []func(*Client) error{
				func(c *Client) error { _, err := c.Chat(context.Background(), hello()); return err },
				func(c *Client) error { _, err := c.ChatStream(context.Background(), hello()); return err },
			} {
				c, _ := testClient(t, Config{MaxRetries: -1}, reply(200, tc.body))
				err := call(c)
				var apiErr *APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 200 {
					t.Fatalf("wrong error\ngot:  %#v\nwant: an *APIError with status 200", err)
				}
				if err.Error() != tc.wantMsg {
					t.Errorf("wrong message\ngot:  %s\nwant: %s", err, tc.wantMsg)
				}
				if got := Classify(err); got != tc.wantClass {
					t.Errorf("wrong class\ngot:  %s\nwant: %s", got, tc.wantClass)
				}
			}
		})
	}
}

func TestErrorIn200Models(t *testing.T) {
	t.Parallel()
	c, _ := testClient(t, Config{MaxRetries: -1}, reply(200, `{"error":{"message":"catalog down"}}`))
	if _, err := c.Models(context.Background()); err == nil || !strings.Contains(err.Error(), "catalog down") {
		t.Errorf("wrong error\ngot:  %v\nwant: … catalog down", err)
	}
}

func TestAnswerIsNotAnError(t *testing.T) {
	t.Parallel()
	body := `{"error":null,"code":0,"message":"fine","choices":[{"message":{"content":"hi"}}]}`
	c, _ := testClient(t, Config{}, reply(200, body))
	resp, err := c.Chat(context.Background(), hello())
	if err != nil || resp.Text() != "hi" {
		t.Errorf("wrong answer\ngot:  %v, %v\nwant: hi", resp, err)
	}
}

func TestAnswerFallbacks(t *testing.T) {
	t.Parallel()
	const sseNoIDs = "data: {\"id\":\"chatcmpl-7\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	tests := map[string]struct {
		body, header   []string // body and headers of the answer
		wantModel      string
		wantRequestID  string
		streamedAnswer bool
	}{
		"chat: model and id named": {body: []string{okBody}, wantModel: "m", wantRequestID: "r1"},
		"chat: none named": {body: []string{`{"choices":[{"message":{"content":"hi"}}]}`},
			header: []string{"X-Request-Id", "hdr-1"}, wantModel: "m", wantRequestID: "hdr-1"},
		"chat: only id": {body: []string{`{"id":"chatcmpl-9","model":"other","choices":[{"message":{"content":"hi"}}]}`},
			wantModel: "other", wantRequestID: "chatcmpl-9"},
		"stream: header id": {body: []string{sseNoIDs}, header: []string{"X-Request-Id", "hdr-2"},
			wantModel: "m", wantRequestID: "hdr-2", streamedAnswer: true},
		"stream: chunk id": {body: []string{sseNoIDs}, wantModel: "m", wantRequestID: "chatcmpl-7", streamedAnswer: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			header := tc.header
			if tc.streamedAnswer {
				header = append(header, "Content-Type", "text/event-stream")
			}
			c, _ := testClient(t, Config{}, reply(200, tc.body[0], header...))
			var resp *Response
			if tc.streamedAnswer {
				s, err := c.ChatStream(context.Background(), hello())
				if err != nil {
					t.Fatal(err)
				}
				drain(s)
				resp = s.Response()
			} else {
				var err error
				if resp, err = c.Chat(context.Background(), hello()); err != nil {
					t.Fatal(err)
				}
			}
			if resp.Model != tc.wantModel || resp.RequestID != tc.wantRequestID {
				t.Errorf("wrong model and request id\ngot:  %q %q\nwant: %q %q", resp.Model, resp.RequestID, tc.wantModel, tc.wantRequestID)
			}
		})
	}
}

func TestUsageLenientNumbers(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		usage string
		want  Usage
	}{
		"numeric strings": {`{"prompt_tokens":"12","completion_tokens":" 3 ","total_tokens":"15"}`,
			Usage{InputTokens: 12, OutputTokens: 3, TotalTokens: 15, PromptTokens: 12, CompletionTokens: 3}},
		"words and odd types ignored": {`{"input_tokens":"many","output_tokens":true,"total_tokens":[1],"prompt_tokens":null}`,
			Usage{}},
		"fractions cut": {`{"input_tokens":12.0,"output_tokens":"2.5"}`,
			Usage{InputTokens: 12, OutputTokens: 2, TotalTokens: 14}},
		"nested details": {`{"input_tokens":1,"prompt_tokens_details":{"cached_tokens":"4","cache_creation":{"ephemeral_5m_input_tokens":"2"}},"completion_tokens_details":{"reasoning_tokens":"x"}}`,
			Usage{InputTokens: 1, TotalTokens: 1, PromptTokensDetails: &PromptTokensDetails{CachedTokens: 4,
				CacheCreation: &CacheCreation{Ephemeral5mInputTokens: 2}}, CompletionTokensDetails: &CompletionTokensDetails{}}},
		"too big ignored": {`{"input_tokens":1e300,"output_tokens":"99999999999999999999999"}`, Usage{}},
		"not an object":   {`"12"`, Usage{}},
		"objects where counts belong": {`{"input_tokens":1,"output_tokens":1,"total_tokens":{"a":1}}`,
			Usage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}},
		"counts where objects belong": {`{"input_tokens":1,"prompt_tokens_details":5,"completion_tokens_details":"x"}`,
			Usage{InputTokens: 1, TotalTokens: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := `{"model":"m","choices":[{"message":{"content":"paid"}}],"usage":` + tc.usage + `}`
			c, _ := testClient(t, Config{}, reply(200, body))
			resp, err := c.Chat(context.Background(), hello())
			if err != nil {
				t.Fatalf("the answer was refused: %v", err)
			}
			if resp.Text() != "paid" || resp.Usage == nil || !reflect.DeepEqual(*resp.Usage, tc.want) {
				t.Errorf("wrong usage\ngot:  %+v\nwant: %+v", resp.Usage, tc.want)
			}
		})
	}
}

// FuzzUsageFastPath checks that usage decoded as it is, when it decodes,
// is what the lenient decoding of the same bytes gives.
func FuzzUsageFastPath(f *testing.F) {
	for _, seed := range []string{
		`{"prompt_tokens":12,"completion_tokens":3}`, `{"input_tokens":1,"prompt_tokens_details":{"cached_tokens":4}}`,
		`{"input_tokens":null,"prompt_tokens_details":null}`, `{"input_tokens":-3,"total_tokens":0}`,
		`{"completion_tokens_details":{"reasoning_tokens":7},"x":"y"}`, `{"input_tokens":12.0}`, `[]`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		type plain Usage
		var fast plain
		if json.Unmarshal(b, &fast) != nil {
			return // the lenient path decodes it
		}
		var lenient plain
		if err := json.Unmarshal(integersOnly(b), &lenient); err != nil {
			t.Fatalf("the lenient path fails on %q: %v", b, err)
		}
		if !reflect.DeepEqual(fast, lenient) {
			t.Errorf("%q: decoded as it is %+v, leniently %+v", b, fast, lenient)
		}
	})
}
