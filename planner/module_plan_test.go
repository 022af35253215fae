package planner

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
)

const sumSrc = `
variable "text" {
  type = string
}

variable "words" {
  type    = number
  default = 60
}

variable "model" {
  type = model
}

step "summary" {
  model  = var.model
  system = "You summarize."
  prompt = "Summarize in ${var.words} words:\n\n${var.text}"
}

step "title" {
  model  = var.model
  prompt = "Title: ${step.summary.output}"
}

output "summary" {
  value = step.summary.output
}
`

const twoModelsSrc = `
model "fast" {
  id         = "m-fast"
  max_tokens = 300
}

model "smart" {
  id = "m-smart"
}
`

// recordKnown turns the changes of p whose requests are known into a
// state, with outputs giving each address its recorded text.
func recordKnown(p *Plan, outputs map[string]string) *state.State {
	st := state.New()
	for _, c := range p.Changes {
		if c.Hash == "" {
			continue
		}
		st.Steps[c.Address] = &state.Step{
			Address: c.Address, Name: c.Addr.Step.Name, Key: c.Addr.KeyJSON(),
			RequestHash: c.Hash, Request: c.Canonical, Offline: true,
			Output: outputs[c.Address], Model: c.Request.Model,
		}
	}
	return st
}

// TestModulePlanMatchesInline plans a module used twice with different
// variables and the same steps written inline, and compares the request
// hashes, first of the steps known at once, then, with those recorded, of
// the steps that use them.
func TestModulePlanMatchesInline(t *testing.T) {
	t.Parallel()
	modSrc := twoModelsSrc + `
module "one" {
  source = "./sum"
  model  = model.fast
  text   = "alpha"
  words  = 30
}

module "two" {
  source = "./sum"
  model  = model.smart
  text   = "beta"
}
`
	inlineSrc := twoModelsSrc + `
step "one_summary" {
  model  = model.fast
  system = "You summarize."
  prompt = "Summarize in 30 words:\n\nalpha"
}

step "one_title" {
  model  = model.fast
  prompt = "Title: ${step.one_summary.output}"
}

step "two_summary" {
  model  = model.smart
  system = "You summarize."
  prompt = "Summarize in 60 words:\n\nbeta"
}

step "two_title" {
  model  = model.smart
  prompt = "Title: ${step.two_summary.output}"
}
`
	files := map[string]string{"sum/main.pf.hcl": sumSrc}
	inlineOf := map[string]string{
		"module.one.step.summary": "step.one_summary", "module.one.step.title": "step.one_title",
		"module.two.step.summary": "step.two_summary", "module.two.step.title": "step.two_title",
	}
	outputs := map[string]string{
		"module.one.step.summary": "S1", "module.two.step.summary": "S2",
		"step.one_summary": "S1", "step.two_summary": "S2",
	}
	var modState, inlineState *state.State
	for round, wantKnown := range [][]string{
		{"module.one.step.summary", "module.two.step.summary"},
		{"module.one.step.title", "module.two.step.title"},
	} {
		pm := mustPlanSrc(t, modSrc, files, modState)
		pi := mustPlanSrc(t, inlineSrc, nil, inlineState)
		if got, want := changeAddrs(pm), slices.Sorted(maps.Keys(inlineOf)); !slices.Equal(got, want) {
			t.Fatalf("round %d: wrong instances\ngot:  %q\nwant: %q", round, got, want)
		}
		for _, addr := range wantKnown {
			cm, ci := change(t, pm, addr), change(t, pi, inlineOf[addr])
			if cm.Hash == "" || cm.Hash != ci.Hash {
				t.Errorf("round %d: %s hashes %q, %s hashes %q; want equal and known\nmodule:  %s\ninline:  %s",
					round, addr, cm.Hash, inlineOf[addr], ci.Hash, cm.Canonical, ci.Canonical)
			}
			if cm.Action != Run || ci.Action != Run {
				t.Errorf("round %d: %s is %s, %s is %s; want run", round, addr, cm.Action, inlineOf[addr], ci.Action)
			}
		}
		modState, inlineState = recordKnown(pm, outputs), recordKnown(pi, outputs)
	}
	pm := mustPlanSrc(t, modSrc, files, nil)
	if a, b := change(t, pm, "module.one.step.summary").Hash, change(t, pm, "module.two.step.summary").Hash; a == b {
		t.Error("the two instances of the module send the same request")
	}
}

func TestModuleVariableErrors(t *testing.T) {
	t.Parallel()
	child := `
variable "text" {
  type = string
  validation {
    condition     = length(var.text) > 3
    error_message = "The text is too short."
  }
}

variable "words" {
  type    = number
  default = 60
}

variable "model" {
  type = model
}

step "s" {
  model  = var.model
  prompt = "${var.text} in ${var.words}"
}
`
	tests := map[string]struct {
		args    string
		forEach bool
		summary string
		subject string // the text the error points at
		inChild bool   // the subject is in the child's files
		detail  string
	}{
		"a string for a model variable": {
			args:    "model = \"fast\"\ntext = \"long enough\"",
			summary: "Invalid value for module variable", subject: `"fast"`,
			detail: `variable "model" of module.a has type model`,
		},
		"a value of the wrong type": {
			args:    "model = model.fast\ntext = \"long enough\"\nwords = \"many\"",
			summary: "Invalid value for module variable", subject: `"many"`,
			detail: `variable "words" of module.a is not suitable`,
		},
		"a failed validation": {
			args: "model = model.fast\ntext = each.key", forEach: true,
			summary: "Invalid value for variable", subject: "length(var.text) > 3", inChild: true,
			detail: `The text is too short (the value of var.text in module.a["ab"]).`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			forEach := ""
			if tc.forEach {
				forEach = "for_each = toset([\"ab\", \"abcd\"])\n"
			}
			src := modelSrc + "module \"a\" {\nsource = \"./child\"\n" + forEach + tc.args + "\n}\n"
			cfg := loadSrc(t, src, map[string]string{"child/main.pf.hcl": child})
			vars, _ := config.NewParser().CollectVariables(cfg, nil, nil)
			_, diags := Build(cfg, Options{Vars: vars, Offline: true})
			// Only the variable's error: the step that uses it is skipped,
			// with no "Model not known" or type error of its own.
			if len(diags) != 1 || diags[0].Severity != hcl.DiagError {
				t.Fatalf("want one error, got:\n%s", diagsText(diags))
			}
			d := diags[0]
			if d.Summary != tc.summary {
				t.Errorf("wrong summary\ngot:  %s\nwant: %s", d.Summary, tc.summary)
			}
			if got := subjectText(t, d); got != tc.subject {
				t.Errorf("wrong subject\ngot:  %q\nwant: %q", got, tc.subject)
			}
			wantDir := cfg.Dir
			if tc.inChild {
				wantDir = filepath.Join(cfg.Dir, "child")
			}
			if filepath.Dir(d.Subject.Filename) != wantDir {
				t.Errorf("points at %s, want a file of %s", d.Subject.Filename, wantDir)
			}
			if !strings.Contains(d.Detail, tc.detail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: …%s…", d.Detail, tc.detail)
			}
		})
	}
}

func TestModuleOwnBlocks(t *testing.T) {
	t.Parallel()
	p := mustPlanSrc(t, `
model "own" {
  id = "root-id"
}

schema "answer" {
  type = object({ verdict = bool })
}

step "r" {
  model  = model.own
  schema = schema.answer
  prompt = "root"
}

module "a" {
  source = "./own"
}
`, map[string]string{"own/main.pf.hcl": `
model "own" {
  id = "child-id"
}

schema "answer" {
  type = object({ title = string })
}

step "s" {
  model  = model.own
  schema = schema.answer
  prompt = "child"
}
`}, nil)
	childModel, rootModel := p.Models["module.a.own"], p.Models["own"]
	if childModel == nil || rootModel == nil {
		t.Fatalf("models not keyed by module prefix: have %q", slices.Sorted(maps.Keys(p.Models)))
	}
	if childModel.ID != "child-id" || childModel.NS != "module.a." || rootModel.ID != "root-id" {
		t.Errorf("wrong models: module.a.own is %q in %q, own is %q", childModel.ID, childModel.NS, rootModel.ID)
	}
	c := change(t, p, "module.a.step.s")
	if c.Rendered.Model != childModel || c.Rendered.ModelAddress() != "module.a.model.own" || c.Request.Model != "child-id" {
		t.Errorf("module.a.step.s uses %s (%s, request model %q), want module.a.model.own (child-id)",
			c.Rendered.ModelAddress(), c.Rendered.Model.ID, c.Request.Model)
	}
	if c.Rendered.Schema == nil || c.Rendered.Schema != p.Schemas["module.a.answer"] || !c.Rendered.Schema.Type.HasAttribute("title") {
		t.Errorf("module.a.step.s does not use the module's schema: %+v", c.Rendered.Schema)
	}
	r := change(t, p, "step.r")
	if r.Rendered.Model != rootModel || r.Rendered.Schema != p.Schemas["answer"] || !r.Rendered.Schema.Type.HasAttribute("verdict") {
		t.Errorf("step.r does not use the root's model and schema: %s, %+v", r.Rendered.ModelAddress(), r.Rendered.Schema)
	}
}

// TestModuleUpstreamReason checks the reason of a step whose request waits
// on a step across a module boundary: through a module variable, and
// through a module output.
func TestModuleUpstreamReason(t *testing.T) {
	t.Parallel()
	st := state.New()
	for _, a := range []string{"step.use", "module.a.step.s"} {
		st.Steps[a] = &state.Step{Address: a, Name: a[strings.LastIndex(a, ".")+1:], RequestHash: "sha256:old", Offline: true}
	}
	p := mustPlanSrc(t, modelSrc+draftModuleSrc, map[string]string{"child/main.pf.hcl": childSrc}, st)
	for addr, want := range map[string]string{
		"step.draft":      "run (new)",
		"module.a.step.s": "run if inputs change (upstream step.draft will run)",
		"module.a.step.t": "run (new)",
		"step.use":        "run if inputs change (upstream module.a.step.t will run)",
	} {
		c := change(t, p, addr)
		if got := c.Action.String() + " (" + c.Reason + ")"; got != want {
			t.Errorf("%s: got %s, want %s", addr, got, want)
		}
	}
}

// selectorsSrc has a root step, a module with a nested module, a module
// whose name starts with the first's, and a for_each module.
