package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const fastModel = `
model "fast" {
  id = "claude-haiku-4-5-20251001"
}
`

// TestLoadDirDiagnostics checks the summaries, details and subjects of
// diagnostics whose detail matters: duplicates cite the first declaration,
// undeclared names suggest close ones.
func TestLoadDirDiagnostics(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files       map[string]string
		wantSummary string
		wantDetail  string // a substring; %s is replaced by the directory
		noDetail    string // a substring the detail must not contain
		wantSubject string // "file:line,col-col"
	}{
		"duplicate step cites the first": {
			files: map[string]string{"main.pf.hcl": fastModel + `
step "a" {
  model  = model.fast
  prompt = "one"
}

step "a" {
  model  = model.fast
  prompt = "two"
}
`},
			wantSummary: "Duplicate step",
			wantDetail:  `A step named "a" was already declared at %s/main.pf.hcl:6,1-9.`,
			wantSubject: "main.pf.hcl:11,1-9",
		},
		"duplicate across files cites the earlier file": {
			files: map[string]string{
				"a.pf.hcl": fastModel,
				"b.pf.hcl": "model \"fast\" {\n  id = \"other\"\n}\n",
			},
			wantSummary: "Duplicate model",
			wantDetail:  `A model named "fast" was already declared at %s/a.pf.hcl:2,1-13.`,
			wantSubject: "b.pf.hcl:1,1-13",
		},
		"duplicate variable": {
			files:       map[string]string{"main.pf.hcl": "variable \"x\" {}\nvariable \"x\" {}\n"},
			wantSummary: "Duplicate variable",
			wantDetail:  `A variable named "x" was already declared at %s/main.pf.hcl:1,1-13.`,
			wantSubject: "main.pf.hcl:2,1-13",
		},
		"duplicate local in two blocks": {
			files:       map[string]string{"main.pf.hcl": "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n"},
			wantSummary: "Duplicate local value",
			wantDetail:  `A local value named "a" was already declared at %s/main.pf.hcl:2,3-8.`,
			wantSubject: "main.pf.hcl:5,3-8",
		},
		"duplicate default gateway": {
			files:       map[string]string{"main.pf.hcl": "gateway {}\ngateway {}\n"},
			wantSummary: "Duplicate gateway",
			wantDetail:  `The default gateway was already declared at %s/main.pf.hcl:1,1-8.`,
			wantSubject: "main.pf.hcl:2,1-8",
		},
		"undeclared model with a suggestion": {
			files: map[string]string{"main.pf.hcl": fastModel + `
step "a" {
  model  = model.fats
  prompt = "x"
}
`},
			wantSummary: "Reference to undeclared model",
			wantDetail:  `No model named "fats" is declared. Did you mean "fast"?`,
			wantSubject: "main.pf.hcl:7,12-22",
		},
		"undeclared model without a suggestion": {
			files: map[string]string{"main.pf.hcl": fastModel + `
step "a" {
  model  = model.gpt5_turbo
  prompt = "x"
}
`},
			wantSummary: "Reference to undeclared model",
			wantDetail:  `No model named "gpt5_turbo" is declared.`,
			noDetail:    "Did you mean",
			wantSubject: "main.pf.hcl:7,12-28",
		},
		"model named by a string": {
			files: map[string]string{"main.pf.hcl": fastModel + `
step "a" {
  model  = "fast"
  prompt = "x"
}
`},
			wantSummary: "Invalid model reference",
			wantDetail:  "Expected the name of a model, such as model.NAME or fallback.NAME.",
			wantSubject: "main.pf.hcl:7,12-18",
		},
		"gateway named as a model": {
			files: map[string]string{"main.pf.hcl": `
model "m" {
  id      = "x"
  gateway = model.other
}
`},
			wantSummary: "Invalid gateway reference",
			wantDetail:  "such as gateway.NAME",
			wantSubject: "main.pf.hcl:4,13-24",
		},
		"invalid step name": {
			files:       map[string]string{"main.pf.hcl": fastModel + "\nstep \"1st\" {\n  model  = model.fast\n  prompt = \"x\"\n}\n"},
			wantSummary: "Invalid step name",
			wantDetail:  "must start with a letter",
			wantSubject: "main.pf.hcl:6,6-11",
		},
		"model without id": {
			files:       map[string]string{"main.pf.hcl": "model \"m\" {\n}\n"},
			wantSummary: "Missing required argument",
			wantDetail:  `"id" is required`,
			wantSubject: "main.pf.hcl:1,11-11",
		},
		"step without model": {
			files:       map[string]string{"main.pf.hcl": "step \"a\" {\n  prompt = \"x\"\n}\n"},
			wantSummary: "Missing required argument",
			wantDetail:  `"model" is required`,
			wantSubject: "main.pf.hcl:1,10-10",
		},
		"message without role": {
			files: map[string]string{"main.pf.hcl": fastModel + `
step "a" {
  model = model.fast
  message {
    content = "x"
  }
}
`},
			wantSummary: "Missing required argument",
			wantDetail:  `"role" is required`,
			wantSubject: "main.pf.hcl:8,11-11",
		},
		"reference in a variable default": {
			files:       map[string]string{"main.pf.hcl": "variable \"a\" {\n  default = var.b\n}\n"},
			wantSummary: "Variables not allowed",
			wantDetail:  "Variables may not be used here.",
			wantSubject: "main.pf.hcl:2,13-16",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, tc.files)
			_, diags := NewParser().LoadDir(dir)
			if len(diags) != 1 {
				t.Fatalf("wrong number of diagnostics\ngot:  %s\nwant: one %q", diagsString(diags), tc.wantSummary)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError || d.Summary != tc.wantSummary {
				t.Errorf("wrong diagnostic\ngot:  %s\nwant: error %q", diagsString(diags), tc.wantSummary)
			}
			wantDetail := tc.wantDetail
			if strings.Contains(wantDetail, "%s") {
				wantDetail = fmt.Sprintf(wantDetail, dir)
			}
			if !strings.Contains(d.Detail, wantDetail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: containing %q", d.Detail, wantDetail)
			}
			if tc.noDetail != "" && strings.Contains(d.Detail, tc.noDetail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: without %q", d.Detail, tc.noDetail)
			}
			gotSubject := "(none)"
			if d.Subject != nil {
				r := *d.Subject
				gotSubject = fmt.Sprintf("%s:%d,%d-%d", filepath.Base(r.Filename), r.Start.Line, r.Start.Column, r.End.Column)
			}
			if gotSubject != tc.wantSubject {
				t.Errorf("wrong subject\ngot:  %s\nwant: %s", gotSubject, tc.wantSubject)
			}
		})
	}
}

func TestLoadDirDecodesSteps(t *testing.T) {
	t.Parallel()
	_, cfg := mustLoad(t, writeDir(t, map[string]string{
		"b.pf.hcl": fastModel + `
model "streaming" {
  id     = "gpt-5"
  stream = true
}
`,
		"a.pf.hcl": `
step "one" {
  model       = model.fast
  system      = "sys"
  prompt      = "hi"
  max_tokens  = 10
  temperature = 0
  stream      = true
  params      = { model_region = "global" }
}

step "two" {
  model    = model.streaming
  for_each = toset(["x"])
  message {
    role    = "user"
    content = each.key
  }
  message {
    role    = "assistant"
    content = "ok"
  }
  depends_on = [step.one, step.three]
}

step "three" {
  model  = model.fast
  count  = 2
  prompt = "n"
}
`,
		"c.pf.json": `{"step": {"four": {"model": "model.fast", "prompt": "json ${step.one.output}"}}}`,
	}))
	if got, want := cfg.StepNames(), []string{"four", "one", "three", "two"}; !slices.Equal(got, want) {
		t.Errorf("wrong steps\ngot:  %q\nwant: %q", got, want)
	}
	one, two, three := cfg.Steps["one"], cfg.Steps["two"], cfg.Steps["three"]
	for what, e := range map[string]hcl.Expression{
		"one.system": one.System, "one.prompt": one.Prompt, "one.max_tokens": one.MaxTokens,
		"one.temperature": one.Temperature, "one.stream": one.Stream, "one.params": one.Params,
		"two.for_each": two.ForEach, "three.count": three.Count, "streaming.stream": cfg.Models["streaming"].Stream,
	} {
		if e == nil {
			t.Errorf("%s was not decoded", what)
		}
	}
	for what, e := range map[string]hcl.Expression{"two.prompt": two.Prompt, "two.count": two.Count, "three.for_each": three.ForEach, "one.for_each": one.ForEach} {
		if e != nil {
			t.Errorf("%s is set; it is absent from the source", what)
		}
	}
	if got, want := one.Model.String(), "model.fast"; got != want {
		t.Errorf("wrong model of one\ngot:  %s\nwant: %s", got, want)
	}
	if got, want := len(two.Messages), 2; got != want {
		t.Errorf("wrong number of messages\ngot:  %d\nwant: %d", got, want)
	}
	var deps []string
	for _, d := range two.DependsOn {
		deps = append(deps, d.String())
	}
	if want := []string{"step.one", "step.three"}; !slices.Equal(deps, want) {
		t.Errorf("wrong depends_on\ngot:  %q\nwant: %q", deps, want)
	}
	if got, want := len(one.Exprs()), 6; got != want {
		t.Errorf("wrong number of expressions of one\ngot:  %d\nwant: %d", got, want)
	}
	if got, want := len(two.Exprs()), 5; got != want {
		t.Errorf("wrong number of expressions of two\ngot:  %d\nwant: %d", got, want)
	}
	if four := cfg.Steps["four"]; four == nil || four.Model.Name != "fast" {
		t.Errorf("step four of the JSON file was not decoded with its model: %#v", four)
	}
}

func TestLoadDirWithErrorsIsStillUsable(t *testing.T) {
	t.Parallel()
	cfg, diags := NewParser().LoadDir(writeDir(t, map[string]string{"main.pf.hcl": fastModel + `
step "ok" {
  model  = model.fast
  prompt = "x"
}

step "bad" {
  model = model.nope
}
`}))
	if !diags.HasErrors() {
		t.Fatal("no errors; want two")
	}
	if cfg == nil || cfg.Steps["ok"] == nil || cfg.Steps["bad"] == nil {
		t.Fatalf("config lacks the steps it declares: %#v", cfg)
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	slices.Sort(got)
	if want := []string{"Missing prompt", "Reference to undeclared model"}; !slices.Equal(got, want) {
		t.Errorf("wrong diagnostics\ngot:  %q\nwant: %q", got, want)
	}
}

func TestLoadDirWithoutFiles(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{"main.hcl": fastModel, "notes.txt": "x"})
	cfg, diags := NewParser().LoadDir(dir)
	if cfg == nil {
		t.Fatal("nil config")
	}
	if len(diags) != 1 || diags[0].Summary != "No configuration files" {
		t.Errorf("wrong diagnostics\ngot:  %s\nwant: one \"No configuration files\"", diagsString(diags))
	}
	_, diags = NewParser().LoadDir(filepath.Join(dir, "missing"))
	if len(diags) != 1 || diags[0].Summary != "Cannot read configuration directory" {
		t.Errorf("wrong diagnostics\ngot:  %s\nwant: one \"Cannot read configuration directory\"", diagsString(diags))
	}
}

func TestParseRef(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src           string
		want          string // Type.Name, then [key] and the number of remaining steps
		wantSummary   string
		wantDetailHas string
	}{
		"variable":                  {src: "var.topic", want: "var.topic rest=0"},
		"local with an attribute":   {src: "local.cfg.size", want: "local.cfg rest=1"},
		"model with an attribute":   {src: "model.fast.id", want: "model.fast rest=1"},
		"step output":               {src: "step.a.output", want: "step.a rest=1"},
		"step with a string key":    {src: `step.a["k"].output`, want: `step.a key="k" rest=1`},
		"step with a number key":    {src: "step.a[0].usage.total_tokens", want: "step.a key=0 rest=2"},
		"step without an attribute": {src: "step.a", want: "step.a rest=0"},
		"each key":                  {src: "each.key", want: "each.key rest=0"},
		"count index":               {src: "count.index", want: "count.index rest=0"},
		"schema in an expression":   {src: "schema.x", wantSummary: "Invalid reference to a schema", wantDetailHas: "a step's schema attribute"},
		"gateway in an expression":  {src: "gateway.local", wantSummary: "Invalid reference to a gateway", wantDetailHas: "a model's gateway attribute"},
		"misspelt root":             {src: "vra.topic", wantSummary: "Unknown variable", wantDetailHas: `Did you mean "var"?`},
		"unrelated root":            {src: "something.x", wantSummary: "Unknown variable", wantDetailHas: `There is no variable named "something".`},
		"bare step":                 {src: "step", wantSummary: "Invalid reference", wantDetailHas: "a step cannot be chosen by an expression"},
		"step indexed first":        {src: `step["a"].output`, wantSummary: "Invalid reference", wantDetailHas: "step.summarize.output"},
		"bare each":                 {src: "each", wantSummary: "Invalid reference", wantDetailHas: "each.key or each.value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			trav, parseDiags := hclsyntax.ParseTraversalAbs([]byte(tc.src), "test.hcl", hcl.InitialPos)
			if parseDiags.HasErrors() {
				t.Fatalf("cannot parse %s: %s", tc.src, diagsString(parseDiags))
			}
			ref, diags := ParseRef(trav)
			if tc.wantSummary != "" {
				if ref != nil || len(diags) != 1 || diags[0].Summary != tc.wantSummary || !strings.Contains(diags[0].Detail, tc.wantDetailHas) {
					t.Errorf("wrong result\ngot:  %v, %s\nwant: nil, %q containing %q", ref, diagsString(diags), tc.wantSummary, tc.wantDetailHas)
				}
				if len(diags) == 1 && diags[0].Subject == nil {
					t.Error("diagnostic without a subject")
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics: %s", diagsString(diags))
			}
			got := ref.String()
			switch {
			case ref.Key == cty.NilVal:
			case ref.Key.Type() == cty.String:
				got += fmt.Sprintf(" key=%q", ref.Key.AsString())
			default:
				got += " key=" + ref.Key.AsBigFloat().Text('f', -1)
			}
			got += fmt.Sprintf(" rest=%d", len(ref.Remaining))
			if got != tc.want {
				t.Errorf("wrong ref\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}

func TestVariableDecoding(t *testing.T) {
	t.Parallel()
	_, cfg := mustLoad(t, writeDir(t, map[string]string{"main.pf.hcl": `
variable "plain" {}

variable "typed" {
  type        = object({ name = string, tags = optional(list(string)) })
  default     = { name = "x" }
  description = "A typed one."
  sensitive   = true
}
`}))
	plain, typed := cfg.Variables["plain"], cfg.Variables["typed"]
	if !plain.Required() || plain.Type != cty.DynamicPseudoType {
		t.Errorf("plain: got required=%v type=%#v; want required, dynamic", plain.Required(), plain.Type)
	}
	if typed.Required() || !typed.Sensitive || typed.Description != "A typed one." {
		t.Errorf("typed: got required=%v sensitive=%v description=%q", typed.Required(), typed.Sensitive, typed.Description)
	}
	want := cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("x"), "tags": cty.NullVal(cty.List(cty.String))})
	if !typed.Default.RawEquals(want) {
		t.Errorf("wrong default\ngot:  %#v\nwant: %#v", typed.Default, want)
	}
}
