package planner

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// draftModuleSrc is a root step whose output module.a (childSrc) takes as
// its text, and a root step that uses one of the module's outputs.
const draftModuleSrc = `
step "draft" {
  model  = model.fast
  prompt = "draft"
}

module "a" {
  source = "./child"
  model  = model.fast
  text   = step.draft.output
}

step "use" {
  model  = model.fast
  prompt = module.a.OUT
}
`

// childSrc is a module with two chained steps, one step on its own and an
// output that uses the second step only.
const childSrc = `
variable "text" {
  type = string
}

variable "model" {
  type = model
}

step "s" {
  model  = var.model
  prompt = "S: ${var.text}"
}

step "t" {
  model  = var.model
  prompt = "T: ${step.s.output}"
}

step "u" {
  model  = var.model
  prompt = "U"
}

output "OUT" {
  value = step.t.output
}

output "U" {
  value = step.u.output
}
`

// echoSrc is a module with its own model, one step and an output known
// when the plan is made.
const echoSrc = `
variable "text" {
  type = string
}

model "own" {
  id = "m-own"
}

step "s" {
  model  = model.own
  prompt = var.text
}

output "out" {
  value = "got ${var.text}"
}

output "n" {
  value = length(var.text)
}
`

// planSrc loads a root configuration with module directories beside it,
// collects its variables (defaults only) and plans it offline against st.
// Loading and collecting must give no diagnostic; the plan's are returned.
func planSrc(t *testing.T, src string, files map[string]string, st *state.State) (*Plan, hcl.Diagnostics) {
	t.Helper()
	cfg := loadSrc(t, src, files)
	vars, diags := config.NewParser().CollectVariables(cfg, nil, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics collecting variables:\n%s", diagsText(diags))
	}
	return Build(cfg, Options{Vars: vars, State: st, Offline: true})
}

// mustPlanSrc is planSrc that fails on any diagnostic.
func mustPlanSrc(t *testing.T, src string, files map[string]string, st *state.State) *Plan {
	t.Helper()
	p, diags := planSrc(t, src, files, st)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics planning:\n%s", diagsText(diags))
	}
	return p
}

// modulePaths returns the addresses of a graph's module instances, the
// root as "".
func modulePaths(g *Graph) []string {
	var out []string
	for _, mi := range g.Modules {
		out = append(out, mi.Path.String())
	}
	return out
}

// moduleAt returns the module instance with the address path.
func moduleAt(t *testing.T, g *Graph, path string) *ModuleInstance {
	t.Helper()
	for _, mi := range g.Modules {
		if mi.Path.String() == path {
			return mi
		}
	}
	t.Fatalf("no module instance %s; have %q", path, modulePaths(g))
	return nil
}

// changeAddrs returns the addresses of a plan's changes, sorted.
func changeAddrs(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Address)
	}
	slices.Sort(out)
	return out
}

// subjectText returns the source text a diagnostic's subject covers, read
// from the file it names.
func subjectText(t *testing.T, d *hcl.Diagnostic) string {
	t.Helper()
	if d.Subject == nil {
		t.Fatalf("%q has no subject", d.Summary)
	}
	src, err := os.ReadFile(d.Subject.Filename)
	if err != nil {
		t.Fatal(err)
	}
	return string(src[d.Subject.Start.Byte:d.Subject.End.Byte])
}

// errorsOf returns "Summary" for every error diagnostic, in order.
func errorsOf(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d.Summary)
		}
	}
	return out
}

func TestModuleGraphEdges(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, modelSrc+draftModuleSrc+`
output "o" {
  value = module.a.OUT
}
`, map[string]string{"child/main.pf.hcl": childSrc})
	g, diags := BuildGraph(cfg, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	want := strings.Join([]string{
		"module.a.output.OUT -> module.a.step.t",
		"module.a.output.U -> module.a.step.u",
		"module.a.step.s -> module.a.var.model",
		"module.a.step.s -> module.a.var.text",
		"module.a.step.t -> module.a.step.s",
		"module.a.step.t -> module.a.var.model",
		"module.a.step.u -> module.a.var.model",
		"module.a.var.text -> step.draft",
		"output.o -> module.a.output.OUT",
		"step.use -> module.a.output.OUT",
	}, "\n")
	if got := g.String(); got != want {
		t.Errorf("wrong edges\ngot:\n%s\nwant:\n%s", got, want)
	}
	for addr, want := range map[string][]string{
		"step.use":            {"module.a.output.OUT"},
		"module.a.output.OUT": {"module.a.step.t"},
		"module.a.var.text":   {"step.draft"},
		"module.a.var.model":  nil,
	} {
		n := g.Nodes[addr]
		if n == nil {
			t.Errorf("no node %s", addr)
			continue
		}
		if !slices.Equal(n.Deps, want) {
			t.Errorf("wrong dependencies of %s\ngot:  %q\nwant: %q", addr, n.Deps, want)
		}
	}
	if n := g.Nodes["module.a.var.text"]; n != nil && (n.Kind != KindVar || n.Mod.Path.String() != "module.a" || n.evalModule() != g.Root()) {
		t.Errorf("module.a.var.text: kind %s in %q, evaluated in %q; want a variable of module.a evaluated in the root", n.Kind, n.Mod.Path, n.evalModule().Path)
	}
	wantOrder := []string{"module.a.var.model", "module.a.step.u", "module.a.output.U", "step.draft", "module.a.var.text", "module.a.step.s", "module.a.step.t", "module.a.output.OUT", "output.o", "step.use"}
	if !slices.Equal(g.Order, wantOrder) {
		t.Errorf("wrong order\ngot:  %q\nwant: %q", g.Order, wantOrder)
	}
}

func TestModuleInstances(t *testing.T) {
	t.Parallel()
	src := `
module "a" {
  source   = "./echo"
  for_each = toset(["y", "x"])
  text     = "key ${each.key}"
}

module "c" {
  source = "./echo"
  count  = 2
  text   = "index ${count.index}"
}
`
	files := map[string]string{"echo/main.pf.hcl": echoSrc}
	g, diags := BuildGraph(loadSrc(t, src, files), map[string]cty.Value{})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	wantPaths := []string{"", `module.a["x"]`, `module.a["y"]`, "module.c[0]", "module.c[1]"}
	if got := modulePaths(g); !slices.Equal(got, wantPaths) {
		t.Errorf("wrong module instances\ngot:  %q\nwant: %q", got, wantPaths)
	}
	for path, want := range map[string]string{
		`module.a["x"]`: "key x", `module.a["y"]`: "key y", "module.c[0]": "index 0", "module.c[1]": "index 1",
	} {
		if got := moduleAt(t, g, path).Vars["text"]; !got.RawEquals(cty.StringVal(want)) {
			t.Errorf("wrong var.text of %s\ngot:  %#v\nwant: %q", path, got, want)
		}
	}
	if got := len(g.Root().Children["a"]); got != 2 {
		t.Errorf("root has %d instances of module.a, want 2", got)
	}

	p := mustPlanSrc(t, src, files, nil)
	var got []string
	for _, c := range p.Changes {
		got = append(got, c.Address+" = "+c.Rendered.Messages[0].Wire.Content.String())
	}
	want := []string{
		`module.a["x"].step.s = key x`, `module.a["y"].step.s = key y`,
		`module.c[0].step.s = index 0`, `module.c[1].step.s = index 1`,
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("wrong instances\ngot:  %q\nwant: %q", got, want)
	}
	for _, c := range p.Changes {
		if c.Addr.Step.Module.IsRoot() || c.Addr.String() != c.Address {
			t.Errorf("%s: Addr %s is not module-qualified", c.Address, c.Addr)
		}
	}
}

func TestModuleForEachFromStep(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		forEach string
		extra   string
	}{
		"a step's output": {
			forEach: "toset([step.draft.output])",
		},
		"a local that uses a step": {
			forEach: "local.keys",
			extra:   "locals {\n  keys = toset([step.draft.output])\n}\n",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := modelSrc + tc.extra + `
step "draft" {
  model  = model.fast
  prompt = "draft"
}

module "fe" {
  source   = "./echo"
  for_each = ` + tc.forEach + `
  text     = "x"
}
`
			cfg := loadSrc(t, src, map[string]string{"echo/main.pf.hcl": echoSrc})

			g, diags := BuildGraph(cfg, nil)
			if len(diags) > 0 {
				t.Errorf("analysis without values: unexpected diagnostics:\n%s", diagsText(diags))
			}
			if got := modulePaths(g); !slices.Equal(got, []string{""}) {
				t.Errorf("analysis without values: module instances %q, want the root only", got)
			}

			_, diags = BuildGraph(cfg, map[string]cty.Value{})
			if len(errorsOf(diags)) != 1 {
				t.Fatalf("with values: want one error, got:\n%s", diagsText(diags))
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Start.Line != strings.Count(src[:strings.Index(src, "for_each")], "\n")+1 {
				t.Errorf("the error does not point at the for_each line: %s", diagsText(diags))
			}
			if d.Summary != "Invalid for_each argument" || !strings.Contains(d.Detail, "step that has not run yet") {
				t.Errorf("wrong diagnostic\ngot:  %s\nwant: Invalid for_each argument, about a step that has not run yet", diagsText(diags))
			}
		})
	}
}

func TestModuleForEachStaticLocals(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, `
variable "langs" {
  type    = list(string)
  default = ["fr", "de"]
}

locals {
  base = toset(var.langs)
  all  = setunion(local.base, ["en"])
  n    = length(local.all) - 1
}

module "t" {
  source   = "./echo"
  for_each = local.all
  text     = "to ${each.value}"
}

module "c" {
  source = "./echo"
  count  = local.n
  text   = "n"
}
`, map[string]string{"echo/main.pf.hcl": echoSrc})
	vars, diags := config.NewParser().CollectVariables(cfg, nil, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics collecting variables:\n%s", diagsText(diags))
	}
	g, diags := BuildGraph(cfg, vars)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	want := []string{"", "module.c[0]", "module.c[1]", `module.t["de"]`, `module.t["en"]`, `module.t["fr"]`}
	if got := modulePaths(g); !slices.Equal(got, want) {
		t.Errorf("wrong module instances\ngot:  %q\nwant: %q", got, want)
	}
	if got := moduleAt(t, g, `module.t["en"]`).Vars["text"]; !got.RawEquals(cty.StringVal("to en")) {
		t.Errorf("wrong var.text of module.t[\"en\"]: %#v", got)
	}
}

// TestModuleNestedForEach expands a module's for_each from a variable its
// caller sets, in every instance of the caller.
func TestModuleNestedForEach(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, `
module "o" {
  source   = "./outer"
  for_each = { p = ["a"], q = ["b", "c"] }
  langs    = each.value
}
`, map[string]string{
		"outer/main.pf.hcl": `
variable "langs" {
  type = list(string)
}

module "i" {
  source   = "../echo"
  for_each = toset(var.langs)
  text     = "${each.key}/${length(var.langs)}"
}
`,
		"echo/main.pf.hcl": echoSrc,
	})
	g, diags := BuildGraph(cfg, map[string]cty.Value{})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	want := []string{"", `module.o["p"]`, `module.o["q"]`, `module.o["p"].module.i["a"]`, `module.o["q"].module.i["b"]`, `module.o["q"].module.i["c"]`}
	if got := modulePaths(g); !slices.Equal(got, want) {
		t.Errorf("wrong module instances\ngot:  %q\nwant: %q", got, want)
	}
	if mi := moduleAt(t, g, `module.o["q"].module.i["c"]`); mi.Parent != moduleAt(t, g, `module.o["q"]`) || !mi.Vars["text"].RawEquals(cty.StringVal("c/2")) {
		t.Errorf("module.o[\"q\"].module.i[\"c\"]: parent %s, var.text %#v", mi.Parent.Path, mi.Vars["text"])
	}
}

func TestModuleArgDiagnostics(t *testing.T) {
	t.Parallel()
	src := modelSrc + `
module "a" {
  source = "./child"
  model  = model.fast
  txt    = "hello"
}
`
	cfg := loadSrc(t, src, map[string]string{"child/main.pf.hcl": childSrc})
	_, diags := BuildGraph(cfg, nil)
	if got, want := errorsOf(diags), []string{"Unsupported argument", "Missing required argument"}; !slices.Equal(got, want) {
		t.Fatalf("wrong diagnostics\ngot:  %q\nwant: %q\n%s", got, want, diagsText(diags))
	}
	for i, want := range []struct{ subject, detail string }{
		{"txt", `declares no variable named "txt". Did you mean "text"?`},
		{`module "a"`, `needs a value for its variable "text"`},
	} {
		d := diags[i]
		if got := subjectText(t, d); got != want.subject {
			t.Errorf("%s: wrong subject\ngot:  %q\nwant: %q", d.Summary, got, want.subject)
		}
		if filepath.Dir(d.Subject.Filename) != cfg.Dir {
			t.Errorf("%s: points at %s, not at the calling file", d.Summary, d.Subject.Filename)
		}
		if !strings.Contains(d.Detail, want.detail) {
			t.Errorf("%s: wrong detail\ngot:  %s\nwant: …%s…", d.Summary, d.Detail, want.detail)
		}
	}
}

func TestModuleRefDiagnostics(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		ref, summary, detail string
	}{
		"undeclared output":     {ref: "module.a.OTU", summary: "Reference to undeclared output", detail: `declares no output named "OTU". Did you mean "OUT"?`},
		"missing instance key":  {ref: "module.fe.OUT", summary: "Missing module instance key", detail: `module.fe[KEY].OUT`},
		"unexpected key":        {ref: `module.a["k"].OUT`, summary: "Unexpected module instance key", detail: `refer to it as module.a.OUTPUT`},
		"undeclared module":     {ref: "module.b.OUT", summary: "Reference to undeclared module"},
		"whole for_each module": {ref: "module.fe"},
		"one instance":          {ref: `module.fe["k"].OUT`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := modelSrc + `
module "a" {
  source = "./child"
  model  = model.fast
  text   = "a"
}

module "fe" {
  source   = "./child"
  for_each = toset(["k"])
  model    = model.fast
  text     = each.key
}

output "bad" {
  value = ` + tc.ref + `
}
`
			cfg := loadSrc(t, src, map[string]string{"child/main.pf.hcl": childSrc})
			_, diags := BuildGraph(cfg, nil)
			if tc.summary == "" {
				if len(diags) > 0 {
					t.Errorf("unexpected diagnostics:\n%s", diagsText(diags))
				}
				return
			}
			if len(diags) != 1 || diags[0].Summary != tc.summary {
				t.Fatalf("wrong diagnostics\ngot:  %s\nwant: one %q", diagsText(diags), tc.summary)
			}
			if got := subjectText(t, diags[0]); got != tc.ref {
				t.Errorf("wrong subject\ngot:  %q\nwant: %q", got, tc.ref)
			}
			if !strings.Contains(diags[0].Detail, tc.detail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: …%s…", diags[0].Detail, tc.detail)
			}
		})
	}
}

// sumSrc is a summarize module: two chained steps, a model chosen by the
// caller.
