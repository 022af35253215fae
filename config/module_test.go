package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestLoadDirModules loads a root that calls a module that calls another,
// and checks the tree: directories, parents, arguments and the shared
// gateways.
func TestLoadDirModules(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{
		"main.pf.hcl": `
gateway "eu" {
  region = "eu"
}

module "outer" {
  source = "./outer"
  topic  = "tides"
}
`,
		"outer/main.pf.hcl": `
variable "topic" {}

module "inner" {
  source   = "../inner"
  for_each = toset(["a", "b"])
  m        = model.fast
}
` + fastModel,
		"inner/main.pf.hcl": `
variable "m" {
  type = model
}

model "local" {
  id      = "x"
  gateway = gateway.eu
}
`,
	})
	_, cfg := mustLoad(t, dir)
	outer, inner := cfg.Child("outer"), cfg.Child("outer", "inner")
	if outer == nil || inner == nil {
		t.Fatalf("missing children: outer=%v inner=%v", outer, inner)
	}
	for _, tc := range []struct {
		name      string
		got, want string
	}{
		{"outer dir", outer.Dir, filepath.Join(dir, "outer")},
		{"inner dir", inner.Dir, filepath.Join(dir, "inner")},
		{"outer source", cfg.Modules["outer"].Source, "./outer"},
		{"inner source", outer.Modules["inner"].Source, "../inner"},
		{"outer args", argNames(cfg.Modules["outer"]), "topic"},
		{"inner args", argNames(outer.Modules["inner"]), "m"},
	} {
		if tc.got != tc.want {
			t.Errorf("wrong %s\ngot:  %s\nwant: %s", tc.name, tc.got, tc.want)
		}
	}
	if cfg.Parent != nil || outer.Parent != cfg || inner.Parent != outer {
		t.Error("wrong parents")
	}
	if outer.Modules["inner"].ForEach == nil || outer.Modules["inner"].Count != nil {
		t.Error("wrong for_each and count of module.inner")
	}
	if inner.Gateways["eu"] != cfg.Gateways["eu"] || inner.Gateways[""] != cfg.Gateways[""] || inner.Gateways[""] == nil {
		t.Error("the inner module does not share the root's gateways")
	}
	if got := inner.Gateway(inner.Models["local"]).Region; got != "eu" {
		t.Errorf("wrong gateway region for the inner model: got %q, want \"eu\"", got)
	}
	if !inner.Variables["m"].Model {
		t.Error("variable m of the inner module is not a model variable")
	}
}

func argNames(m *ModuleCall) string {
	var names []string
	for name := range m.Args {
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

func TestConfigChild(t *testing.T) {
	t.Parallel()
	b := &Config{}
	a := &Config{Children: map[string]*Config{"b": b}}
	root := &Config{Children: map[string]*Config{"a": a}}
	for _, tc := range []struct {
		path []string
		want *Config
	}{
		{nil, root},
		{[]string{"a"}, a},
		{[]string{"a", "b"}, b},
		{[]string{"b"}, nil},
		{[]string{"a", "b", "c"}, nil},
		{[]string{"x", "y"}, nil},
	} {
		if got := root.Child(tc.path...); got != tc.want {
			t.Errorf("Child(%q): got %p, want %p", tc.path, got, tc.want)
		}
	}
}

// TestLoadDirModuleDiagnostics checks the diagnostic of each kind of bad
// module call or module. Subjects are "file:line,col-col", with the file
// relative to the directory; %s in a detail is the directory.
func TestLoadDirModuleDiagnostics(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files       map[string]string
		wantSummary string
		wantDetail  string
		wantSubject string
	}{
		"missing source directory": {
			files:       map[string]string{"main.pf.hcl": "module \"a\" {\n  source = \"./nope\"\n}\n"},
			wantSummary: "Module source not found",
			wantDetail:  `Module "a" has source "./nope", but %s/nope does not exist.`,
			wantSubject: "main.pf.hcl:2,12-20",
		},
		"source is a file": {
			files: map[string]string{
				"main.pf.hcl": "module \"a\" {\n  source = \"./a.txt\"\n}\n",
				"a.txt":       "x",
			},
			wantSummary: "Module source not found",
			wantDetail:  `%s/a.txt is not a directory.`,
			wantSubject: "main.pf.hcl:2,12-21",
		},
		"remote source": {
			files:       map[string]string{"main.pf.hcl": "module \"a\" {\n  source = \"github.com/x/y\"\n}\n"},
			wantSummary: "Unsupported module source",
			wantDetail:  `Module "a" has source "github.com/x/y". Only local directories are supported: a path that starts with ./ or ../`,
			wantSubject: "main.pf.hcl:2,12-28",
		},
		"directory without configuration files": {
			files: map[string]string{
				"main.pf.hcl": "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/notes.txt": "x",
			},
			wantSummary: "No configuration files",
			wantDetail:  "The directory %s/a holds no",
			wantSubject: "main.pf.hcl:2,12-17",
		},
		"root sources itself": {
			files:       map[string]string{"main.pf.hcl": "module \"again\" {\n  source = \"./\"\n}\n"},
			wantSummary: "Module sources itself",
			wantDetail:  `the root module (%[1]s) → %[1]s again.`,
			wantSubject: "main.pf.hcl:2,12-16",
		},
		"module sources its own directory": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n\nmodule \"self\" {\n  source = \"./\"\n}\n",
			},
			wantSummary: "Module sources itself",
			wantDetail:  `Module "self" loads a configuration that is already being loaded: module "a" (%[1]s/a) → %[1]s/a again.`,
			wantSubject: "a/main.pf.hcl:4,12-16",
		},
		"cycle through two modules": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "module \"b\" {\n  source = \"../b\"\n}\n",
				"b/main.pf.hcl": "\nmodule \"back\" {\n  source = \"../a\"\n}\n",
			},
			wantSummary: "Module sources itself",
			wantDetail:  `module "a" (%[1]s/a) → module "b" (%[1]s/b) → %[1]s/a again.`,
			wantSubject: "b/main.pf.hcl:3,12-18",
		},
		"error inside a module keeps its file": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "step \"s\" {\n  model  = model.nope\n  prompt = \"x\"\n}\n",
			},
			wantSummary: "Reference to undeclared model",
			wantDetail:  `No model named "nope" is declared.`,
			wantSubject: "a/main.pf.hcl:2,12-22",
		},
		"model in a module names an undeclared gateway": {
			files: map[string]string{
				"main.pf.hcl":   "gateway \"eu\" {\n  region = \"eu\"\n}\n\nmodule \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "model \"m\" {\n  id      = \"x\"\n  gateway = gateway.euu\n}\n",
			},
			wantSummary: "Reference to undeclared gateway",
			wantDetail:  `No gateway named "euu" is declared. Did you mean "eu"?`,
			wantSubject: "a/main.pf.hcl:3,13-24",
		},
		"nested block in a module call": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n\n  lifecycle {\n  }\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n",
			},
			wantSummary: `Unexpected "lifecycle" block`,
			wantDetail:  "A module block takes no nested blocks",
			wantSubject: "main.pf.hcl:4,3-12",
		},
		"for_each and count": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source   = \"./a\"\n  count    = 2\n  for_each = {}\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n",
			},
			wantSummary: "Invalid combination of count and for_each",
			wantDetail:  "A module block may use count or for_each, not both.",
			wantSubject: "main.pf.hcl:4,3-11",
		},
		"depends_on": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source     = \"./a\"\n  depends_on = []\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n",
			},
			wantSummary: "Unsupported argument",
			wantDetail:  "depends_on is not supported in module blocks.",
			wantSubject: "main.pf.hcl:3,3-13",
		},
		"missing source": {
			files:       map[string]string{"main.pf.hcl": "module \"a\" {\n  x = 1\n}\n"},
			wantSummary: "Missing required argument",
			wantDetail:  `Module "a" needs a source`,
			wantSubject: "main.pf.hcl:1,1-11",
		},
		"source with a reference": {
			files:       map[string]string{"main.pf.hcl": "variable \"d\" {}\n\nmodule \"a\" {\n  source = \"./${var.d}\"\n}\n"},
			wantSummary: "Invalid module source",
			wantDetail:  "must be a literal string",
			wantSubject: "main.pf.hcl:4,12-24",
		},
		"source that is not a string": {
			files:       map[string]string{"main.pf.hcl": "module \"a\" {\n  source = [\"./a\"]\n}\n"},
			wantSummary: "Invalid module source",
			wantDetail:  "must be a literal string",
			wantSubject: "main.pf.hcl:2,12-19",
		},
		"invalid name": {
			files: map[string]string{
				"main.pf.hcl":   "module \"1a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n",
			},
			wantSummary: "Invalid module name",
			wantDetail:  "A name must start with a letter",
			wantSubject: "main.pf.hcl:1,8-12",
		},
		"duplicate module": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n\nmodule \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n",
			},
			wantSummary: "Duplicate module",
			wantDetail:  `A module named "a" was already declared at %s/main.pf.hcl:1,1-11.`,
			wantSubject: "main.pf.hcl:5,1-11",
		},
		"gateway block in a module": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "variable \"x\" {}\n\ngateway {\n  region = \"eu\"\n}\n",
			},
			wantSummary: "Gateway blocks belong in the root module",
			wantDetail:  "Every module uses the gateways of the root module.",
			wantSubject: "a/main.pf.hcl:3,1-8",
		},
		"labelled gateway block in a module": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "gateway \"eu\" {\n  region = \"eu\"\n}\n",
			},
			wantSummary: "Gateway blocks belong in the root module",
			wantDetail:  "Declare this gateway in the root module",
			wantSubject: "a/main.pf.hcl:1,1-13",
		},
		"promptform block in a module": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "promptform {\n  budget = 1\n}\n",
			},
			wantSummary: "Promptform blocks belong in the root module",
			wantDetail:  "Move this block to the root module.",
			wantSubject: "a/main.pf.hcl:1,1-11",
		},
		"moved block in a module": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "moved {\n  from = step.a\n  to   = step.b\n}\n",
			},
			wantSummary: "Moved blocks belong in the root module",
			wantDetail:  "Moved blocks are read only in the root module.",
			wantSubject: "a/main.pf.hcl:1,1-6",
		},
		"model variable with a default": {
			files: map[string]string{
				"main.pf.hcl":   "module \"a\" {\n  source = \"./a\"\n}\n",
				"a/main.pf.hcl": "variable \"m\" {\n  type    = model\n  default = model.fast\n}\n",
			},
			wantSummary: "Invalid default for model variable",
			wantDetail:  "A variable of type model takes its value from the module block that calls the module; it has no default.",
			wantSubject: "a/main.pf.hcl:3,13-23",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, tc.files)
			cfg, diags := NewParser().LoadDir(dir)
			if cfg == nil {
				t.Fatal("nil config")
			}
			if len(diags) != 1 {
				t.Fatalf("wrong number of diagnostics\ngot:  %s\nwant: one %q", diagsString(diags), tc.wantSummary)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError || d.Summary != tc.wantSummary {
				t.Errorf("wrong diagnostic\ngot:  %s\nwant: error %q", diagsString(diags), tc.wantSummary)
			}
			wantDetail := tc.wantDetail
			if strings.Contains(wantDetail, "%") {
				wantDetail = fmt.Sprintf(wantDetail, dir)
			}
			if !strings.Contains(d.Detail, wantDetail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: containing %q", d.Detail, wantDetail)
			}
			if got := subjectIn(dir, d); got != tc.wantSubject {
				t.Errorf("wrong subject\ngot:  %s\nwant: %s", got, tc.wantSubject)
			}
		})
	}
}

// subjectIn returns a diagnostic's subject as "file:line,col-col", with the
// file relative to dir.
func subjectIn(dir string, d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return "(none)"
	}
	r := *d.Subject
	name, err := filepath.Rel(dir, r.Filename)
	if err != nil {
		name = r.Filename
	}
	return fmt.Sprintf("%s:%d,%d-%d", filepath.ToSlash(name), r.Start.Line, r.Start.Column, r.End.Column)
}

// TestLoadDirModulesRelative checks that a root given as a relative
// directory gives its children relative directories, and relative file
// names in diagnostics.
func TestLoadDirModulesRelative(t *testing.T) {
	t.Chdir(writeDir(t, map[string]string{
		"examples/root/main.pf.hcl":      "module \"sum\" {\n  source = \"../summarize\"\n}\n",
		"examples/summarize/main.pf.hcl": "step \"s\" {\n  model  = model.nope\n  prompt = \"x\"\n}\n",
	}))
	cfg, diags := NewParser().LoadDir("examples/root")
	if got, want := cfg.Child("sum").Dir, "examples/summarize"; got != want {
		t.Errorf("wrong child dir\ngot:  %s\nwant: %s", got, want)
	}
	if len(diags) != 1 || diags[0].Subject == nil {
		t.Fatalf("wrong diagnostics\ngot:  %s\nwant: one, with a subject", diagsString(diags))
	}
	if got, want := diags[0].Subject.Filename, "examples/summarize/main.pf.hcl"; got != want {
		t.Errorf("wrong file name\ngot:  %s\nwant: %s", got, want)
	}
}

// TestLoadDirModuleCalledTwice checks that two calls of one directory,
// side by side, are not a cycle.
func TestLoadDirModuleCalledTwice(t *testing.T) {
	t.Parallel()
	_, cfg := mustLoad(t, writeDir(t, map[string]string{
		"main.pf.hcl":        "module \"a\" {\n  source = \"./shared\"\n}\n\nmodule \"b\" {\n  source = \"./shared/\"\n}\n",
		"shared/main.pf.hcl": "variable \"x\" {\n  default = 1\n}\n",
	}))
	a, b := cfg.Child("a"), cfg.Child("b")
	if a == nil || b == nil || a == b || a.Dir != b.Dir || len(a.Variables) != 1 || len(b.Variables) != 1 {
		t.Errorf("wrong children: a=%+v b=%+v", a, b)
	}
}

// TestLoadDirBadModuleHasNoChild checks that a call whose source cannot
// be loaded has no child configuration, so that nothing is planned from
// it, while the call itself is still declared.
func TestLoadDirBadModuleHasNoChild(t *testing.T) {
	t.Parallel()
	cfg, diags := NewParser().LoadDir(writeDir(t, map[string]string{
		"main.pf.hcl": "module \"a\" {\n  source = \"./nope\"\n}\n\nmodule \"b\" {\n  source = \"git::x\"\n}\n\nmodule \"c\" {}\n",
	}))
	if len(diags) != 3 {
		t.Errorf("wrong diagnostics\ngot:  %s\nwant: three", diagsString(diags))
	}
	for _, name := range []string{"a", "b", "c"} {
		if cfg.Modules[name] == nil || cfg.Child(name) != nil {
			t.Errorf("module %s: call %v, child %+v; want the call and no child", name, cfg.Modules[name], cfg.Child(name))
		}
	}
}

func TestModelVariable(t *testing.T) {
	t.Parallel()
	_, cfg := mustLoad(t, writeDir(t, map[string]string{"main.pf.hcl": `
module "a" {
  source = "./a"
}
`, "a/main.pf.hcl": `
variable "m" {
  type        = model
  description = "The model to summarize with."
}

variable "s" {
  type = string
}
`}))
	m, s := cfg.Child("a").Variables["m"], cfg.Child("a").Variables["s"]
	if !m.Model || m.Type != cty.DynamicPseudoType || !m.Required() || m.Description == "" {
		t.Errorf("m: got model=%v type=%#v required=%v; want model, dynamic, required", m.Model, m.Type, m.Required())
	}
	if s.Model || s.Type != cty.String {
		t.Errorf("s: got model=%v type=%#v; want not a model, string", s.Model, s.Type)
	}
}

// TestRootModelVariable checks that a model variable in the root module is
// an error when variables are collected, whether or not a value is given.
func TestRootModelVariable(t *testing.T) {
	t.Parallel()
	tests := map[string][]VarArg{
		"without a value": nil,
		"with a value":    {{Name: "m", Value: "fast"}},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := writeDir(t, map[string]string{"main.pf.hcl": "variable \"m\" {\n  type = model\n}\n"})
			p, cfg := mustLoad(t, dir)
			vals, diags := p.CollectVariables(cfg, args, nil)
			if len(diags) != 1 || diags[0].Summary != "Variable of type model in the root module" {
				t.Fatalf("wrong diagnostics\ngot:  %s\nwant: one \"Variable of type model in the root module\"", diagsString(diags))
			}
			if !strings.Contains(diags[0].Detail, "only a module block can set") {
				t.Errorf("wrong detail: %s", diags[0].Detail)
			}
			if got := subjectIn(dir, diags[0]); got != "main.pf.hcl:1,1-13" {
				t.Errorf("wrong subject\ngot:  %s\nwant: main.pf.hcl:1,1-13", got)
			}
			if v, ok := vals["m"]; !ok || v.IsKnown() {
				t.Errorf("wrong value for m: got %#v; want an unknown value", v)
			}
		})
	}
}

func TestParseRefModule(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string // Type.Name, then [key] and the remaining traversal
	}{
		"output":            {src: "module.a.out", want: "module.a .out"},
		"string key":        {src: `module.a["k"].out`, want: `module.a key="k" .out`},
		"number key":        {src: "module.a[0].out", want: "module.a key=0 .out"},
		"nested attribute":  {src: "module.a.out.title", want: "module.a .out.title"},
		"whole module call": {src: "module.a", want: "module.a "},
		"bare module":       {src: "module", want: "error: Module references must name the module call directly, as in module.summary.text"},
		"indexed first":     {src: `module["a"].out`, want: "error: Module references must name the module call directly, as in module.summary.text"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			trav, parseDiags := hclsyntax.ParseTraversalAbs([]byte(tc.src), "test.hcl", hcl.InitialPos)
			if parseDiags.HasErrors() {
				t.Fatalf("cannot parse %s: %s", tc.src, diagsString(parseDiags))
			}
			got := refString(ParseRef(trav))
			if got != tc.want && !(strings.HasPrefix(tc.want, "error: ") && strings.HasPrefix(got, tc.want)) {
				t.Errorf("wrong ref\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// refString shows a ParseRef result: "error: DETAIL (subject)" or
// "TYPE.NAME key=KEY .REMAINING".
func refString(ref *Ref, diags hcl.Diagnostics) string {
	if diags.HasErrors() {
		if ref != nil || diags[0].Subject == nil {
			return "wrong error: a ref or no subject"
		}
		return "error: " + diags[0].Detail
	}
	got := ref.String()
	switch {
	case ref.Key == cty.NilVal:
	case ref.Key.Type() == cty.String:
		got += fmt.Sprintf(" key=%q", ref.Key.AsString())
	default:
		got += " key=" + ref.Key.AsBigFloat().Text('f', -1)
	}
	got += " "
	for _, step := range ref.Remaining {
		if attr, ok := step.(hcl.TraverseAttr); ok {
			got += "." + attr.Name
		}
	}
	return got
}
