package planner

import (
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway"
)

func TestRenderRequest(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string // canonical JSON of step.a's request
	}{
		"prompt only, unset fields absent": {
			src: `
model "m" {
  id = "m1"
}
step "a" {
  model  = model.m
  prompt = "P"
}
`,
			want: `{"messages":[{"content":"P","role":"user"}],"model":"m1"}`,
		},
		"system and prompt with model defaults, temperature 0 present": {
			src: `
model "m" {
  id          = "m1"
  max_tokens  = 100
  temperature = 0
  stream      = false
  params      = { model_region = "global" }
}
step "a" {
  model  = model.m
  system = "S"
  prompt = "P"
}
`,
			want: `{"max_tokens":100,"messages":[{"content":"S","role":"system"},{"content":"P","role":"user"}],"model":"m1","model_region":"global","stream":false,"temperature":0}`,
		},
		"step overrides the model": {
			src: `
model "m" {
  id          = "m1"
  max_tokens  = 100
  temperature = 0
  stream      = true
  params      = { model_region = "global", keep = true }
}
step "a" {
  model       = model.m
  prompt      = "P"
  max_tokens  = 50
  temperature = 1.5
  stream      = false
  params      = { model_region = "eu", reasoning = { effort = "low" } }
}
`,
			want: `{"keep":true,"max_tokens":50,"messages":[{"content":"P","role":"user"}],"model":"m1","model_region":"eu","reasoning":{"effort":"low"},"stream":false,"temperature":1.5}`,
		},
		"step temperature 0 over the model's": {
			src: `
model "m" {
  id          = "m1"
  temperature = 1
}
step "a" {
  model       = model.m
  prompt      = "P"
  temperature = 0
}
`,
			want: `{"messages":[{"content":"P","role":"user"}],"model":"m1","temperature":0}`,
		},
		"message blocks in order": {
			src: `
model "m" {
  id = "m1"
}
step "a" {
  model = model.m
  message {
    role    = "system"
    content = "S"
  }
  message {
    role    = "user"
    content = "Q1"
  }
  message {
    role    = "assistant"
    content = "A1"
  }
  message {
    role    = "user"
    content = "Q2"
  }
}
`,
			want: `{"messages":[{"content":"S","role":"system"},{"content":"Q1","role":"user"},{"content":"A1","role":"assistant"},{"content":"Q2","role":"user"}],"model":"m1"}`,
		},
		"tool history, names, parts and cache control": {
			src: `
model "m" { id = "m1" }
step "a" {
  model = model.m
  message {
    role          = "system"
    content       = ["Part one.", "Part two."]
    cache_control = { type = "ephemeral", ttl = "1h" }
  }
  message {
    role    = "user"
    name    = "ana"
    content = "Look up HCL."
  }
  message {
    role       = "assistant"
    content    = null
    tool_calls = [{ id = "call_1", name = "lookup", arguments = { term = "HCL" } }]
  }
  message {
    role         = "tool"
    tool_call_id = "call_1"
    content      = jsonencode({ definition = "a config language" })
  }
}
`,
			want: `{"messages":[{"cache_control":{"ttl":"1h","type":"ephemeral"},"content":[{"text":"Part one.","type":"text"},{"text":"Part two.","type":"text"}],"role":"system"},` +
				`{"content":"Look up HCL.","name":"ana","role":"user"},` +
				`{"content":null,"role":"assistant","tool_calls":[{"function":{"arguments":"{\"term\":\"HCL\"}","name":"lookup"},"id":"call_1","type":"function"}]},` +
				`{"content":"{\"definition\":\"a config language\"}","role":"tool","tool_call_id":"call_1"}],"model":"m1"}`,
		},
		"variables, locals and functions": {
			src: `
variable "topic" {
  default = "hcl"
}
variable "tokens" {
  type    = number
  default = 64
}
locals {
  who = "engineers"
}
model "m" {
  id         = "m-${var.topic}"
  max_tokens = var.tokens
}
step "a" {
  model  = model.m
  system = "For ${local.who}."
  prompt = "About ${upper(var.topic)}."
}
`,
			want: `{"max_tokens":64,"messages":[{"content":"For engineers.","role":"system"},{"content":"About HCL.","role":"user"}],"model":"m-hcl"}`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := mustPlan(t, tc.src, nil, false)
			c := change(t, p, "step.a")
			if !c.Rendered.Known {
				t.Fatal("request not known")
			}
			if got := string(c.Canonical); got != tc.want {
				t.Errorf("wrong request\ngot:  %s\nwant: %s", got, tc.want)
			}
			if !strings.HasPrefix(c.Hash, "sha256:") || len(c.Hash) != len("sha256:")+64 {
				t.Errorf("wrong hash form: %q", c.Hash)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		step string
		want string
	}{
		"bad role":                 {step: "message {\n role = \"robot\"\n content = \"x\"\n}", want: "Invalid message role"},
		"null content":             {step: "prompt = null", want: "Null message content"},
		"zero max_tokens":          {step: "prompt = \"x\"\nmax_tokens = 0", want: "Invalid max_tokens"},
		"fractional max_tokens":    {step: "prompt = \"x\"\nmax_tokens = 1.5", want: "Invalid max_tokens"},
		"temperature above 2":      {step: "prompt = \"x\"\ntemperature = 2.1", want: "Invalid temperature"},
		"params not an object":     {step: "prompt = \"x\"\nparams = [1]", want: "Invalid params"},
		"params sets messages":     {step: "prompt = \"x\"\nparams = { messages = [] }", want: "Reserved request field in params"},
		"prompt of the wrong type": {step: "prompt = [\"x\"]", want: "Incorrect attribute value type"},
		"stream not a bool":        {step: "prompt = \"x\"\nstream = \"often\"", want: "Incorrect attribute value type"},
		"tool message without id":  {step: "message {\n role = \"tool\"\n content = \"r\"\n}", want: "Missing tool_call_id"},
		"tool calls on a user":     {step: "message {\n role = \"user\"\n content = \"q\"\n tool_calls = []\n}", want: "Unexpected tool_calls"},
		"message without content":  {step: "message {\n role = \"user\"\n}", want: "Missing message content"},
		"null content, no calls":   {step: "message {\n role = \"assistant\"\n content = null\n}", want: "Null message content"},
		"malformed tool calls":     {step: "message {\n role = \"assistant\"\n tool_calls = [{ id = \"c\" }]\n}", want: "Invalid tool_calls"},
		"parts that are not text":  {step: "message {\n role = \"user\"\n content = [[1]]\n}", want: "Incorrect attribute value type"},
		"tool result as a list":    {step: "message {\n role = \"tool\"\n tool_call_id = \"c\"\n content = [\"a\", \"b\"]\n}", want: "Invalid tool message content"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := loadSrc(t, "model \"m\" {\n  id = \"m1\"\n}\nstep \"a\" {\nmodel = model.m\n"+tc.step+"\n}\n", nil)
			_, diags := Build(cfg, Options{})
			if len(diags) != 1 || diags[0].Summary != tc.want || diags[0].Subject == nil {
				t.Errorf("wrong diagnostics\ngot:  %s\nwant: one %q with a subject", diagsText(diags), tc.want)
			}
		})
	}
}

// TestHash checks that a request's hash ignores the order params are
// written in and changes with anything that is sent.
func TestHash(t *testing.T) {
	t.Parallel()
	const base = `
model "m" {
  id          = "MODEL"
  temperature = TEMP
}
step "a" {
  model  = model.m
  prompt = "PROMPT"
  params = PARAMS
}
`
	hashOf := func(t *testing.T, repl ...string) string {
		t.Helper()
		src := strings.NewReplacer(repl...).Replace(base)
		return change(t, mustPlan(t, src, nil, false), "step.a").Hash
	}
	def := []string{"MODEL", "m1", "TEMP", "0.5", "PROMPT", "hello", "PARAMS", `{ b = 1, a = { y = 2, x = 1 } }`}
	with := func(k, v string) []string {
		out := append([]string(nil), def...)
		for i := 0; i < len(out); i += 2 {
			if out[i] == k {
				out[i+1] = v
			}
		}
		return out
	}
	ref := hashOf(t, def...)
	if again := hashOf(t, def...); again != ref {
		t.Errorf("hash not stable\ngot:  %s\nwant: %s", again, ref)
	}
	if reordered := hashOf(t, with("PARAMS", `{ a = { x = 1, y = 2 }, b = 1 }`)...); reordered != ref {
		t.Errorf("hash depends on the order of params\ngot:  %s\nwant: %s", reordered, ref)
	}
	for name, repl := range map[string][]string{
		"temperature":   with("TEMP", "0.6"),
		"temperature 0": with("TEMP", "0"),
		"prompt":        with("PROMPT", "hello!"),
		"model":         with("MODEL", "m2"),
		"params":        with("PARAMS", `{ b = 2, a = { y = 2, x = 1 } }`),
	} {
		if got := hashOf(t, repl...); got == ref {
			t.Errorf("changing the %s left the hash as it was: %s", name, got)
		}
	}
}

func TestHashOmitsNothingSent(t *testing.T) {
	t.Parallel()
	temp := 0.0
	a := &gateway.Request{Model: "m", Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("x")}}}
	b := &gateway.Request{Model: "m", Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("x")}}, Temperature: &temp}
	ha, ca, err := Hash(a)
	if err != nil {
		t.Fatal(err)
	}
	hb, cb, err := Hash(b)
	if err != nil {
		t.Fatal(err)
	}
	if ha == hb {
		t.Errorf("an explicit temperature 0 does not change the hash:\n%s\n%s", ca, cb)
	}
	if !strings.Contains(string(cb), `"temperature":0`) {
		t.Errorf("temperature 0 missing from %s", cb)
	}
}

// TestDiff checks the request diff of a rerun: one changed prompt line is one
// -/+ pair, and a request asked again unchanged (-replace) has no diff.
func TestDiff(t *testing.T) {
	t.Parallel()
	src := "model \"m\" {\n  id = \"m1\"\n}\nstep \"a\" {\n  model  = model.m\n  prompt = \"line one\\nLINE\\nline three\"\n}\n"
	p := mustPlan(t, src, nil, false)
	st := record(t, p, nil, false)
	edited := mustPlan(t, strings.Replace(src, "LINE", "line two", 1), st, false)
	c := change(t, edited, "step.a")
	if c.Action != Rerun || c.Reason != "prompt changed" {
		t.Fatalf("got %s (%s), want rerun (prompt changed)", c.Action, c.Reason)
	}
	var changed []string
	for _, l := range strings.Split(c.Diff(), "\n") {
		if (strings.HasPrefix(l, "-") || strings.HasPrefix(l, "+")) && !strings.HasPrefix(l, "---") && !strings.HasPrefix(l, "+++") {
			changed = append(changed, l)
		}
	}
	if want := []string{"-  LINE", "+  line two"}; strings.Join(changed, "|") != strings.Join(want, "|") {
		t.Errorf("wrong diff lines\ngot:  %q\nwant: %q\n%s", changed, want, c.Diff())
	}
	same := mustPlan(t, src, st, false)
	if d := change(t, same, "step.a").Diff(); d != "" {
		t.Errorf("an unchanged request has a diff:\n%s", d)
	}
}
