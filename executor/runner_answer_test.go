package executor

import (
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway"
)

// toolReplies lists the tool messages of a request: "id: content".
func toolReplies(req *gateway.Request) []string {
	var out []string
	for _, m := range req.Messages {
		if m.Role == "tool" {
			out = append(out, m.ToolCallID+": "+m.Content.String())
		}
	}
	return out
}

func TestRunnerToolRounds(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		script       []any
		wantRequests int
		wantRan      []string // the arguments of each tool run
		wantReplies  []string // the tool messages of the last request
		wantRounds   []string // each round's results: "name: output | error"
		wantFailed   string
		wantEvents   []string
	}{
		"a command answers": {
			script:       []any{callsAnswer("r1", `lookup({"term": "x"})`), textAnswer("the end")},
			wantRequests: 2, wantRan: []string{`{"term": "x"}`},
			wantReplies: []string{`r1-a: found {"term": "x"}`},
			wantRounds:  []string{`lookup: found {"term": "x"} | `},
			wantEvents:  []string{"tool step.s lookup: <nil>"},
		},
		"a failing command is reported to the model": {
			script:       []any{callsAnswer("r1", `lookup({"term": "fail"})`), textAnswer("the end")},
			wantRequests: 2, wantRan: []string{`{"term": "fail"}`},
			wantReplies: []string{`r1-a: error: tool command "lookup-cmd" exited with status 1`},
			wantRounds:  []string{`lookup:  | tool command "lookup-cmd" exited with status 1`},
			wantEvents:  []string{`tool step.s lookup: tool command "lookup-cmd" exited with status 1`},
		},
		"an invalid call is sent back": {
			script:       []any{callsAnswer("r1", `nope({})`, `lookup({"term": 1})`), textAnswer("the end")},
			wantRequests: 2,
			wantReplies: []string{
				`r1-a: error: the call was not run: the step offers no tool named "nope"; it offers lookup, locate`,
				`r1-b: error: the call was not run: the arguments of tool "lookup" do not match its parameters: at /term: got number, want string`,
			},
			wantRounds: []string{
				`nope:  | the call was not run: the step offers no tool named "nope"; it offers lookup, locate`,
				`lookup:  | the call was not run: the arguments of tool "lookup" do not match its parameters: at /term: got number, want string`,
			},
			wantEvents: []string{
				`tool step.s nope: the call was not run: the step offers no tool named "nope"; it offers lookup, locate`,
				`tool step.s lookup: the call was not run: the arguments of tool "lookup" do not match its parameters: at /term: got number, want string`,
			},
		},
		"a call without a command ends the step": {
			script:       []any{callsAnswer("r1", `locate({"city": "Paris"})`)},
			wantRequests: 1,
		},
		"max_tool_rounds are spent": {
			script: []any{callsAnswer("r1", `lookup({"term": "a"})`), callsAnswer("r2", `lookup({"term": "b"})`),
				callsAnswer("r3", `lookup({"term": "c"})`)},
			wantRequests: 3, wantRan: []string{`{"term": "a"}`, `{"term": "b"}`},
			wantReplies: []string{`r1-a: found {"term": "a"}`, `r2-a: found {"term": "b"}`},
			wantRounds:  []string{`lookup: found {"term": "a"} | `, `lookup: found {"term": "b"} | `},
			wantFailed:  "the model kept calling tools after 2 rounds (max_tool_rounds)",
			wantEvents:  []string{"tool step.s lookup: <nil>", "tool step.s lookup: <nil>"},
		},
	}
	src := strings.Replace(toolSteps, `["sh", "-c", "cat >> calls.log; echo >> calls.log; echo found"]`, `["lookup-cmd"]`, 1)
	src = strings.Replace(src, "max_tool_rounds = 3", "max_tool_rounds = 2", 1)
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := &modelScripts{script: map[string][]any{"m1": test.script}}
			r, c, hook, tool := runnerFor(t, src, "step.s", client)
			out := r.run(c)
			if out.rec == nil {
				t.Fatalf("no record; err %v", out.err)
			}
			if n := len(client.requests); n != test.wantRequests || out.rec.Attempts != n {
				t.Errorf("%d requests, %d attempts recorded; want %d", n, out.rec.Attempts, test.wantRequests)
			}
			if strings.Join(tool.ran, "|") != strings.Join(test.wantRan, "|") {
				t.Errorf("tools ran with %q, want %q", tool.ran, test.wantRan)
			}
			last := client.requests[len(client.requests)-1]
			if got := toolReplies(last); strings.Join(got, "|") != strings.Join(test.wantReplies, "|") {
				t.Errorf("wrong tool replies\ngot:  %q\nwant: %q", got, test.wantReplies)
			}
			var rounds []string
			for _, round := range out.rec.Rounds {
				for _, res := range round.Results {
					rounds = append(rounds, res.Name+": "+res.Output+" | "+res.Error)
				}
			}
			if strings.Join(rounds, "\n") != strings.Join(test.wantRounds, "\n") {
				t.Errorf("wrong rounds recorded\ngot:  %q\nwant: %q", rounds, test.wantRounds)
			}
			if err, _ := failed(out); out.rec.Failed != test.wantFailed || err != test.wantFailed {
				t.Errorf("recorded failure %q, error %q; want %q", out.rec.Failed, err, test.wantFailed)
			}
			if events := hook.list(); strings.Join(events, "|") != strings.Join(test.wantEvents, "|") {
				t.Errorf("wrong events\ngot:  %q\nwant: %q", events, test.wantEvents)
			}
		})
	}
}

const retriedSchema = `
schema "ticket" {
  type = object({ title = string })
}
model "m" { id = "m1" }
step "s" {
  model          = model.m
  prompt         = "triage"
  schema         = schema.ticket
  output_retries = 1
}
`

func TestRunnerOutputRetries(t *testing.T) {
	t.Parallel()
	const mismatch = `answer does not match schema "ticket": at /title: got number, want string`
	tests := map[string]struct {
		answers      []string
		wantResult   string // recorded; "" when nothing is
		wantAttempts int    // schema attempts recorded
		wantFeedback string // what the model is told of its first answer
		wantErr      string
		wantSummary  string
	}{
		"a valid answer": {
			answers:    []string{"```json\n{\"title\": \"x\"}\n```"},
			wantResult: `{"title":"x"}`, wantAttempts: 1,
		},
		"a mismatch, then a valid answer": {
			answers:    []string{`{"title": 3}`, `{"title": "x"}`},
			wantResult: `{"title":"x"}`, wantAttempts: 2, wantFeedback: mismatch,
		},
		"no JSON, then a valid answer": {
			answers:    []string{`Sorry.`, `Here: {"title": "x"}`},
			wantResult: `{"title":"x"}`, wantAttempts: 2, wantFeedback: "the answer holds no JSON",
		},
		"the retries are spent": {
			answers:      []string{`{"title": 3}`, `{"title": 4}`},
			wantFeedback: mismatch,
			wantErr:      `model "m1": executor: answer does not match schema "ticket": at /title: got number, want string`,
			wantSummary:  "Answer does not match the schema",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var script []any
			for _, a := range test.answers {
				script = append(script, textAnswer(a))
			}
			client := &modelScripts{script: map[string][]any{"m1": script}}
			r, c, _, _ := runnerFor(t, retriedSchema, "step.s", client)
			out := r.run(c)
			if n := len(client.requests); n != len(test.answers) {
				t.Errorf("%d requests, want %d", n, len(test.answers))
			}
			if err, summary := failed(out); err != test.wantErr || summary != test.wantSummary {
				t.Errorf("error %q, diagnostic %q\nwant  %q, %q", err, summary, test.wantErr, test.wantSummary)
			}
			if test.wantFeedback != "" {
				msgs := client.requests[1].Messages
				want := "That answer does not match the required JSON schema:\n" + test.wantFeedback + "\nAnswer again with only the corrected JSON."
				if got := msgs[len(msgs)-1].Content.String(); got != want {
					t.Errorf("wrong feedback\ngot:  %q\nwant: %q", got, want)
				}
			}
			switch {
			case test.wantResult == "" && (out.rec == nil || out.rec.Failed == "" || out.rec.Attempts != len(test.answers)):
				t.Errorf("recorded %+v; a spent retry is recorded as a failure, with every attempt paid for", out.rec)
			case test.wantResult == "":
			case out.rec == nil:
				t.Errorf("nothing recorded: %v", out.err)
			case string(out.rec.Result) != test.wantResult || out.rec.SchemaAttempts != test.wantAttempts || out.rec.Attempts != len(test.answers):
				t.Errorf("recorded result %s after %d schema attempts, %d attempts; want %s, %d, %d",
					out.rec.Result, out.rec.SchemaAttempts, out.rec.Attempts, test.wantResult, test.wantAttempts, len(test.answers))
			}
		})
	}
}
