package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// TestRedactorEscapes checks that a value is found however a gateway's
// JSON encoder escaped it, and that the text around it is kept as it is.
func TestRedactorEscapes(t *testing.T) {
	t.Parallel()
	message := "Tell me about café and red,blue"
	tests := map[string]struct {
		secrets []string
		text    string
		want    string
	}{
		"non-ASCII as \\u, lower-case hex": {
			secrets: []string{"café"},
			text:    `bad request: {"content": "Tell me about caf\u00e9 and more"}`,
			want:    `bad request: {"content": "Tell me about (sensitive value) and more"}`,
		},
		"non-ASCII as \\u, upper-case hex": {
			secrets: []string{"crème-brûlée"},
			text:    `"content": "Tell me cr\u00E8me-br\u00FBl\u00E9e"`,
			want:    `"content": "Tell me (sensitive value)"`,
		},
		"a whole sensitive message with non-ASCII escaped": {
			secrets: []string{"café", "red", "blue", message},
			text:    `bad request: {"messages": [{"role": "user", "content": "Tell me about caf\u00e9 and red,blue"}]}`,
			want:    `bad request: {"messages": [{"role": "user", "content": "(sensitive value)"}]}`,
		},
		"a character outside the BMP as a surrogate pair": {
			secrets: []string{"key🔑x"},
			text:    `a key\ud83d\udd11x and a key\uD83D\uDD11x`,
			want:    `a (sensitive value) and a (sensitive value)`,
		},
		"a character outside the BMP Go-quoted in ASCII": {
			secrets: []string{"key🔑x"},
			text:    `"key\U0001f511x"`,
			want:    `"(sensitive value)"`,
		},
		"a lone surrogate is kept": {
			secrets: []string{"café"},
			text:    `\ud83d and caf\u00e9`,
			want:    `\ud83d and (sensitive value)`,
		},
		"slash escaped": {
			secrets: []string{"path/to/x"},
			text:    `{"file":"path\/to\/x"}`,
			want:    `{"file":"(sensitive value)"}`,
		},
		"HTML characters escaped": {
			secrets: []string{"a<b>&c"},
			text:    `echo: a\u003cb\u003e\u0026c, a\u003Cb\u003E\u0026c`,
			want:    `echo: (sensitive value), (sensitive value)`,
		},
		"control characters as short escapes": {
			secrets: []string{"one\ntwo\tthree\r"},
			text:    `got "one\ntwo\tthree\r"`,
			want:    `got "(sensitive value)"`,
		},
		"control characters as \\u escapes": {
			secrets: []string{"one\ntwo\tthree"},
			text:    `got "one\u000atwo\u0009three"`,
			want:    `got "(sensitive value)"`,
		},
		"double-escaped JSON": {
			secrets: []string{`caf"é`},
			text:    `{"error":"{\"content\":\"caf\\\"\\u00e9\"}"}`,
			want:    `{"error":"{\"content\":\"(sensitive value)\"}"}`,
		},
		"double-escaped slash and newline": {
			secrets: []string{"path/to\nx"},
			text:    `"{\"f\":\"path\\\/to\\nx\"}"`,
			want:    `"{\"f\":\"(sensitive value)\"}"`,
		},
		"escaped then collapsed and quoted": {
			secrets: []string{"line one\n  line two"},
			text:    `body "{\"content\":\"line one\\n line two\"}"`,
			want:    `body "{\"content\":\"(sensitive value)\"}"`,
		},
		"a backslash in the value": {
			secrets: []string{`C:\new`},
			text:    `raw C:\new, json C:\\new, twice C:\\\\new`,
			want:    `raw (sensitive value), json (sensitive value), twice (sensitive value)`,
		},
		"a one-letter value": {
			secrets: []string{"é"},
			text:    `x\u00e9y é \\u00E9`,
			want:    `x(sensitive value)y (sensitive value) (sensitive value)`,
		},
		"other text stays intact": {
			secrets: []string{"café"},
			text:    `cafe caf\u00e8 caf\u00e \u00e9 caf\q \\ \" \/ \uZZZZ \`,
			want:    `cafe caf\u00e8 caf\u00e \u00e9 caf\q \\ \" \/ \uZZZZ \`,
		},
		"a message wins over a value inside it": {
			secrets: []string{"red", "Tell me about red"},
			text:    `Tell me about red; Tell me about r\u0065d`,
			want:    `(sensitive value); (sensitive value)`,
		},
		"adjacent values stay apart": {
			secrets: []string{"ab", "cd"},
			text:    `ab\u0063d`,
			want:    `(sensitive value)(sensitive value)`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := newRedactorOf(tt.secrets).text(tt.text); got != tt.want {
				t.Errorf("scrubbed\n%s\nto\n%s\nwant\n%s", tt.text, got, tt.want)
			}
		})
	}
}

// TestRedactorEncoders checks that a value is found in what common
// encoders make of it, once and twice over, and nothing around it is lost.
func TestRedactorEncoders(t *testing.T) {
	t.Parallel()
	goJSON := func(s string) string {
		data, _ := json.Marshal(s)
		return string(data)
	}
	encoders := map[string]func(string) string{
		"Go JSON":           goJSON,
		"ASCII JSON":        func(s string) string { return asciiJSON(s) },
		"Go quote":          strconv.Quote,
		"Go quote ASCII":    strconv.QuoteToASCII,
		"Go JSON twice":     func(s string) string { return goJSON(goJSON(s)) },
		"ASCII JSON twice":  func(s string) string { return asciiJSON(asciiJSON(s)) },
		"ASCII JSON quoted": func(s string) string { return strconv.Quote(asciiJSON(s)) },
	}
	secrets := []string{"café", "key🔑", "a<b>&c", "path/to", "tab\there\nnew", `quote"back\slash\`, "日本語", "\u2028sep", "x"}
	for name, enc := range encoders {
		for _, secret := range secrets {
			quoted := enc(secret)
			lead, trail := `"`, `"` // the quotes around the value: one level of them or two
			if strings.HasPrefix(quoted, `"\"`) {
				lead, trail = `"\"`, `\""`
			}
			text := "before " + quoted + " after"
			want := "before " + lead + sensitiveText + trail + " after"
			if got := newRedactorOf([]string{secret}).text(text); got != want {
				t.Errorf("%s: %q scrubbed to %q, want %q", name, text, got, want)
			}
		}
	}
}

// TestRedactorQuotedBody checks the value in a plain-text body that the
// error quotes: the body shows it JSON-escaped, and the quoting escapes it
// again.
func TestRedactorQuotedBody(t *testing.T) {
	t.Parallel()
	rd := newRedactorOf([]string{"a<b>&c", "café"})
	err := rd.error(&gateway.APIError{StatusCode: 400, Body: `{"content":"a\u003cb\u003e\u0026c caf\u00e9"}`})
	want := `gateway: 400 Bad Request: body "{\"content\":\"(sensitive value) (sensitive value)\"}"`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

// asciiJSON encodes v as Python's json.dumps does by default, every
// character outside ASCII as \uXXXX with surrogate pairs beyond the BMP,
// and as Go does <, > and & as \u003c, \u003e and \u0026.
func asciiJSON(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var sb strings.Builder
	for _, r := range string(data) {
		switch {
		case r < 0x80:
			sb.WriteRune(r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&sb, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(&sb, `\u%04x`, r)
		}
	}
	return sb.String()
}

// asciiQuotingClient fails every request with a 400 that quotes the whole
// request encoded as Python does, in its message and its details.
type asciiQuotingClient struct{ fakeClient }

func (q *asciiQuotingClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	body := asciiJSON(req)
	return nil, &gateway.APIError{StatusCode: 400, Message: "bad request: " + body,
		Details: []string{body, asciiJSON(body)}}
}

func TestRunScrubsEscapedSensitiveValues(t *testing.T) {
	t.Parallel()
	src := `
variable "secret" {
  type      = string
  sensitive = true
  default   = "café🔑/<b>"
}
variable "tags" {
  type      = list(string)
  sensitive = true
  default   = ["rouge", "bleu"]
}
model "m" { id = "m1" }
step "s" {
  model  = model.m
  prompt = "Tell me about ${var.secret} and ${join(",", var.tags)}"
}
`
	st := state.New()
	plan, path := setup(t, src, st)
	hook := &eventHook{}
	res := Run(context.Background(), plan, Options{Parallelism: 1, Client: func(*planner.Model) ChatClient { return &asciiQuotingClient{} },
		Store: storeWith(t, st, path), Hook: hook})
	if res.Failed != 1 {
		t.Fatalf("failed %d, want 1: %s", res.Failed, res.Diagnostics.Error())
	}
	shown := res.Diagnostics.Error() + strings.Join(hook.list(), "\n")
	for _, leak := range []string{"caf", "rouge", "bleu", "Tell me", `\ud83d`, "<b>", `\u003cb`} {
		if strings.Contains(shown, leak) {
			t.Errorf("%q is shown:\n%s", leak, shown)
		}
	}
	if !strings.Contains(shown, `"content":"(sensitive value)"`) || !strings.Contains(shown, `\"content\":\"(sensitive value)\"`) {
		t.Errorf("the message is not replaced whole:\n%s", shown)
	}
}
