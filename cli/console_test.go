package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/term"
)

func TestConsoleText(t *testing.T) {
	t.Parallel()
	secret := cty.StringVal("hunter2").Mark(planner.Sensitive)
	tests := map[string]struct {
		v    cty.Value
		want string
	}{
		"string":           {cty.StringVal("hi"), `"hi"`},
		"multi-line":       {cty.StringVal("a\nb\n"), "<<EOT\na\nb\nEOT"},
		"number":           {cty.NumberFloatVal(1.5), "1.5"},
		"null":             {cty.NullVal(cty.String), "null"},
		"unknown":          {cty.UnknownVal(cty.String), "(known after apply)"},
		"dynamic":          {cty.DynamicVal, "(known after apply)"},
		"sensitive":        {secret, "(sensitive value)"},
		"sensitive number": {cty.NumberIntVal(7).Mark(planner.Sensitive), "(sensitive value)"},
		"sensitive list":   {cty.ListVal([]cty.Value{cty.StringVal("a")}).Mark(planner.Sensitive), "(sensitive value)"},
		"known list":       {cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), `["a", "b"]`},
		"tuple with parts": {cty.TupleVal([]cty.Value{secret, cty.UnknownVal(cty.Number), cty.StringVal("a")}), `[(sensitive value), (known after apply), "a"]`},
		"list with unknown": {cty.ListVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)}),
			`["a", (known after apply)]`},
		"object with parts": {cty.ObjectVal(map[string]cty.Value{
			"output":   cty.UnknownVal(cty.String),
			"password": secret,
			"name":     cty.StringVal("x"),
			"not-id":   cty.True,
			"usage":    cty.ObjectVal(map[string]cty.Value{"total_tokens": cty.UnknownVal(cty.Number)}),
		}), "{\n  name     = \"x\"\n  not-id   = true\n  output   = (known after apply)\n  password = (sensitive value)\n  usage = {\n    total_tokens = (known after apply)\n  }\n}"},
		"map with secret": {cty.MapVal(map[string]cty.Value{"a b": secret}), "{\n  \"a b\" = (sensitive value)\n}"},
		"empty object":    {cty.EmptyObjectVal, "{}"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := consoleText(tc.v); got != tc.want {
				t.Errorf("wrong text\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// testConsole returns a console over var.topic, var.password (sensitive)
// and step.later (not recorded), with the configuration's functions.
func testConsole(stdin io.Reader) *console {
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{
				"topic":    cty.StringVal("HCL"),
				"password": cty.StringVal("hunter2\nSECRET").Mark(planner.Sensitive),
			}),
			"step": cty.ObjectVal(map[string]cty.Value{
				"later": cty.ObjectVal(map[string]cty.Value{"output": cty.UnknownVal(cty.String)}),
			}),
		},
		Functions: config.Functions("."),
	}
	m := &Meta{Streams: Streams{Stdin: stdin}, ctx: context.Background()}
	return &console{m: m, ctx: ctx, secrets: sensitiveStringsIn(ctx)}
}

// consoleView returns a view writing to out and errs, without colour.
func consoleView(out, errs io.Writer) *viewBase {
	return &viewBase{stdout: out, stderr: errs, width: 78, files: func() map[string]*hcl.File { return map[string]*hcl.File{} }}
}

func TestConsolePiped(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in       string
		want     string
		wantErrs []string
		code     int
	}{
		"values": {
			in:   "var.topic\r\n\n  length(var.topic)  \nstep.later.output\nvar.password",
			want: "\"HCL\"\n3\n(known after apply)\n(sensitive value)\n",
		},
		"error then value": {
			in:       "nope.x\n1 + 1\n",
			want:     "2\n",
			wantErrs: []string{"Error: Unknown variable", "on <console-input> line 1:", "   1: nope.x", `There is no variable named "nope".`},
			code:     1,
		},
		"error on a later line": {
			in:       "1\n\nupper(\n",
			want:     "1\n",
			wantErrs: []string{"on <console-input> line 3:", "   3: upper("},
			code:     1,
		},
		"sensitive value in an error": {
			in:       "tonumber(var.password)\n",
			wantErrs: []string{`cannot convert "(sensitive value)" to number`},
			code:     1,
		},
		"exit": {
			in:   "1\nexit\nnope\n",
			want: "1\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out, errs bytes.Buffer
			code := testConsole(strings.NewReader(tc.in)).piped(consoleView(&out, &errs))
			if code != tc.code {
				t.Errorf("wrong exit code\ngot:  %d\nwant: %d", code, tc.code)
			}
			if out.String() != tc.want {
				t.Errorf("wrong stdout\ngot:  %q\nwant: %q", out.String(), tc.want)
			}
			for _, want := range tc.wantErrs {
				if !strings.Contains(errs.String(), want) {
					t.Errorf("stderr lacks %q\ngot: %s", want, errs.String())
				}
			}
			if len(tc.wantErrs) == 0 && errs.Len() > 0 {
				t.Errorf("unexpected stderr\ngot: %s", errs.String())
			}
			if strings.Contains(out.String()+errs.String(), "SECRET") {
				t.Errorf("a sensitive value was printed\nstdout: %s\nstderr: %s", out.String(), errs.String())
			}
		})
	}
}

// fakeTerminal is the two ends of a terminal: what is typed, and what the
// console writes.
type fakeTerminal struct {
	in  io.Reader
	out bytes.Buffer
}

func (f *fakeTerminal) Read(p []byte) (int, error)  { return f.in.Read(p) }
func (f *fakeTerminal) Write(p []byte) (int, error) { return f.out.Write(p) }

func TestConsoleREPL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		keys string
		want []string // in order
		lack []string
	}{
		"values and errors": {
			keys: "var.topic\rnope.x\rlength(var.topic)\r\x04",
			want: []string{"> var.topic", `"HCL"`, "Error: Unknown variable", "   1: nope.x", "> length(var.topic)", "3"},
		},
		"history": {
			keys: "1 + 1\r\x1b[A\r\x04", // the up arrow brings back 1 + 1
			want: []string{"> 1 + 1", "2", "2"},
		},
		"exit": {
			keys: "exit\r1 + 41\r",
			lack: []string{"42"},
		},
		"ctrl-c": {
			keys: "1 + \x032\r", // without Ctrl-C ending it, 1 + 2 would be 3
			lack: []string{"3"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ft := &fakeTerminal{in: strings.NewReader(tc.keys)}
			c := testConsole(nil)
			if code := c.repl(consoleView(io.Discard, io.Discard), term.NewTerminal(ft, consolePrompt)); code != 0 {
				t.Errorf("wrong exit code\ngot:  %d\nwant: 0", code)
			}
			got := strings.ReplaceAll(ft.out.String(), "\r\n", "\n")
			rest := got
			for _, want := range tc.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("output lacks %q after the earlier lines\ngot: %q", want, got)
				}
				rest = rest[i+len(want):]
			}
			for _, lack := range tc.lack {
				if strings.Contains(got, lack) {
					t.Errorf("output has %q\ngot: %q", lack, got)
				}
			}
		})
	}
}

func TestConsoleScrub(t *testing.T) {
	t.Parallel()
	c := testConsole(nil)
	diags := c.scrub(hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Bad hunter2\nSECRET",
		Detail:   `cannot convert "hunter2\nSECRET" to number`,
	}})
	if got, want := diags[0].Summary, "Bad (sensitive value)"; got != want {
		t.Errorf("wrong summary\ngot:  %s\nwant: %s", got, want)
	}
	if got, want := diags[0].Detail, `cannot convert "(sensitive value)" to number`; got != want {
		t.Errorf("wrong detail\ngot:  %s\nwant: %s", got, want)
	}
}
