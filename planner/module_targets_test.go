package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

const selectorsSrc = `
model "m" {
  id = "m"
}

step "x" {
  model  = model.m
  prompt = "x"
}

module "a" {
  source = "./outer"
}

module "ab" {
  source = "./outer"
}

module "fe" {
  source   = "./inner"
  for_each = toset(["x", "y"])
}
`

var selectorsFiles = map[string]string{
	"outer/main.pf.hcl": `
model "m" {
  id = "m"
}

step "x" {
  model  = model.m
  prompt = "outer x"
}

module "b" {
  source = "../inner"
  v      = step.x.output
}

output "o" {
  value = module.b.o
}
`,
	"inner/main.pf.hcl": `
variable "v" {
  default = "d"
}

model "m" {
  id = "m"
}

step "y" {
  model  = model.m
  prompt = "inner ${var.v}"
}

output "o" {
  value = step.y.output
}
`,
}

func TestModuleSelectors(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, selectorsSrc, selectorsFiles)
	g, diags := BuildGraph(cfg, map[string]cty.Value{})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	tests := map[string]struct {
		sel  string
		want []string
	}{
		"a module and its calls": {sel: "module.a", want: []string{"module.a.module.b.step.y", "module.a.step.x"}},
		"a nested module":        {sel: "module.a.module.b", want: []string{"module.a.module.b.step.y"}},
		"a step in a module":     {sel: "module.a.step.x", want: []string{"module.a.step.x"}},
		"a root step":            {sel: "step.x", want: []string{"step.x"}},
		"every instance":         {sel: "module.fe", want: []string{`module.fe["x"].step.y`, `module.fe["y"].step.y`}},
		"one instance":           {sel: `module.fe["y"]`, want: []string{`module.fe["y"].step.y`}},
		"a step, keyless call":   {sel: "module.fe.step.y", want: []string{`module.fe["x"].step.y`, `module.fe["y"].step.y`}},
		"a step, one instance":   {sel: `module.fe["x"].step.y`, want: []string{`module.fe["x"].step.y`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSelector(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if d := checkSelector(cfg, s); d != nil {
				t.Errorf("checkSelector: %s: %s", d.Summary, d.Detail)
			}
			if got := s.nodes(g); !slices.Equal(got, tc.want) {
				t.Errorf("wrong nodes\ngot:  %q\nwant: %q", got, tc.want)
			}
			for _, n := range g.Steps() {
				a := addrs.Step{Module: n.Mod.Path, Name: n.Name}
				if got, want := s.selectsStep(a), slices.Contains(tc.want, n.Addr); got != want {
					t.Errorf("selectsStep(%s) = %v, want %v", a, got, want)
				}
			}
		})
	}
}

func TestModuleTargetPlan(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		target string
		want   []string // the planned changes
		diag   string   // the detail of the one error
	}{
		"a module":        {target: "module.a", want: []string{"module.a.module.b.step.y", "module.a.step.x"}},
		"an instance":     {target: `module.fe["y"]`, want: []string{`module.fe["y"].step.y`}},
		"a nested step":   {target: "module.ab.module.b.step.y", want: []string{"module.ab.module.b.step.y", "module.ab.step.x"}},
		"no instance":     {target: `module.fe["z"]`, diag: `module.fe["z"] names no instance of a module; promptform plan lists them.`},
		"a key, no count": {target: `module.a.step.x["k"]`, diag: `module.a.step.x["k"] names an instance, but module.a.step.x has no for_each or count; use module.a.step.x.`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := loadSrc(t, selectorsSrc, selectorsFiles)
			s, err := ParseSelector(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			p, diags := Build(cfg, Options{Vars: map[string]cty.Value{}, Offline: true, Filter: &Filter{Targets: []Selector{s}}})
			if tc.diag != "" {
				if len(diags) != 1 || diags[0].Detail != tc.diag {
					t.Errorf("wrong diagnostics\ngot:  %s\nwant: one with detail %s", diagsText(diags), tc.diag)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
			}
			if got := changeAddrs(p); !slices.Equal(got, tc.want) {
				t.Errorf("wrong changes\ngot:  %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestModuleCheckSelector(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, selectorsSrc, selectorsFiles)
	tests := map[string]struct {
		sel, summary, detail string
	}{
		"undeclared module": {sel: "module.fee.step.y", summary: "Unknown module address",
			detail: `module.fee.step.y names no declared module: the root module declares no module "fee". Did you mean "fe"?`},
		"undeclared nested module": {sel: "module.a.module.bb", summary: "Unknown module address",
			detail: `module.a.module.bb names no declared module: module.a declares no module "bb". Did you mean "b"?`},
		"undeclared step in a module": {sel: "module.a.step.xx", summary: "Unknown step address",
			detail: `module.a.step.xx names no declared step. Did you mean module.a.step.x?`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSelector(tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			d := checkSelector(cfg, s)
			if d == nil {
				t.Fatal("no diagnostic")
			}
			if d.Summary != tc.summary || d.Detail != tc.detail {
				t.Errorf("wrong diagnostic\ngot:  %s: %s\nwant: %s: %s", d.Summary, d.Detail, tc.summary, tc.detail)
			}
		})
	}
}

func TestModuleMoveRecords(t *testing.T) {
	t.Parallel()
	st := state.New()
	for _, r := range []struct{ addr, name string }{
		{"module.a.step.x", "x"}, {`module.a["k"].step.x`, "x"}, {"module.ab.step.x", "x"},
		{"module.a.module.b.step.y", "y"}, {"step.x", "x"},
	} {
		st.Steps[r.addr] = &state.Step{Address: r.addr, Name: r.name, RequestHash: "sha256:" + r.addr}
	}
	target := func(s string) addrs.Target {
		t.Helper()
		tg, err := addrs.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	tests := map[string]struct {
		from, to string
		want     []string // from -> to
	}{
		"rename": {from: "module.a", to: "module.c", want: []string{
			"module.a.module.b.step.y -> module.c.module.b.step.y",
			"module.a.step.x -> module.c.step.x",
			`module.a["k"].step.x -> module.c["k"].step.x`,
		}},
		"keyless to an instance": {from: "module.a", to: `module.a["x"]`, want: []string{
			`module.a.module.b.step.y -> module.a["x"].module.b.step.y`,
			`module.a.step.x -> module.a["x"].step.x`,
		}},
		"an instance": {from: `module.a["k"]`, to: "module.d", want: []string{
			`module.a["k"].step.x -> module.d.step.x`,
		}},
		"a nested module": {from: "module.a.module.b", to: "module.e", want: []string{
			"module.a.module.b.step.y -> module.e.step.y",
		}},
		"nothing recorded": {from: "module.z", to: "module.c"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range MoveRecords(st, target(tc.from), target(tc.to)) {
				if st.Steps[r.From] == nil || st.Steps[r.From].Address != r.From {
					t.Errorf("the state's record of %s changed", r.From)
				}
				if r.Rec.RequestHash != "sha256:"+r.From {
					t.Errorf("%s -> %s carries the record of another address", r.From, r.Rec.Address)
				}
				got = append(got, r.From+" -> "+r.Rec.Address)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("wrong moves\ngot:  %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestModuleMovedStillDeclared(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		modules string // module names, with for_each after a colon
		from    string
		to      string
		want    []string
	}{
		"rename, from still declared": {modules: "a c", from: "module.a", to: "module.c", want: []string{"Moved object still exists"}},
		"rename":                      {modules: "c", from: "module.a", to: "module.c"},
		"adding for_each":             {modules: "a:fe", from: "module.a", to: `module.a["x"]`},
		"a step into a module":        {modules: "a", from: "step.old", to: "module.a.step.s"},
		"a step still declared":       {modules: "a", from: "module.a.step.s", to: "step.s2", want: []string{"Moved object still exists"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var src strings.Builder
			src.WriteString("model \"m\" {\n  id = \"m\"\n}\n")
			for _, m := range strings.Fields(tc.modules) {
				name, forEach, _ := strings.Cut(m, ":")
				src.WriteString("module \"" + name + "\" {\n  source = \"./inner\"\n")
				if forEach != "" {
					src.WriteString("  for_each = toset([\"x\"])\n")
				}
				src.WriteString("}\n")
			}
			src.WriteString("moved {\n  from = " + tc.from + "\n  to   = " + tc.to + "\n}\n")
			cfg := loadSrc(t, src.String(), map[string]string{"inner/main.pf.hcl": "model \"m\" {\n  id = \"m\"\n}\nstep \"s\" {\n  model  = model.m\n  prompt = \"s\"\n}\n"})
			diags := checkMoved(cfg)
			if got := errorsOf(diags); !slices.Equal(got, tc.want) {
				t.Fatalf("wrong diagnostics\ngot:  %q\nwant: %q\n%s", got, tc.want, diagsText(diags))
			}
			if len(diags) > 0 && subjectText(t, diags[0]) != tc.from {
				t.Errorf("the error points at %q, not at from", subjectText(t, diags[0]))
			}
			if got := stillDeclared(cfg, cfg.Moved[0]); got != (len(tc.want) > 0) {
				t.Errorf("stillDeclared = %v", got)
			}
		})
	}
}

func TestModuleMovedIntoModule(t *testing.T) {
	t.Parallel()
	files := map[string]string{"child/main.pf.hcl": childSrc}
	src := modelSrc + `
module "a" {
  source = "./child"
  model  = model.fast
  text   = "hello"
}
`
	first := mustPlanSrc(t, src, files, nil)
	c := change(t, first, "module.a.step.s")
	st := state.New()
	st.Steps["step.old"] = &state.Step{Address: "step.old", Name: "old", RequestHash: c.Hash, Request: c.Canonical, Offline: true, Output: "recorded", Model: c.Request.Model}

	p := mustPlanSrc(t, src+"moved {\n  from = step.old\n  to   = module.a.step.s\n}\n", files, st)
	if len(p.Moves) != 1 {
		t.Fatalf("want one move, got %d", len(p.Moves))
	}
	mv := p.Moves[0]
	if mv.From != "step.old" || mv.Rec.Address != "module.a.step.s" || mv.Rec.Name != "s" || mv.Block != [2]string{"step.old", "module.a.step.s"} {
		t.Errorf("wrong move: %s -> %s (name %q, block %q)", mv.From, mv.Rec.Address, mv.Rec.Name, mv.Block)
	}
	if got := change(t, p, "module.a.step.s"); got.Action != Keep {
		t.Errorf("module.a.step.s: got %s (%s), want keep", got.Action, got.Reason)
	}
	// What uses the moved record sees its output: step t's request is known.
	if got := change(t, p, "module.a.step.t"); got.Hash == "" || got.Rendered.Messages[0].Wire.Content.String() != "T: recorded" {
		t.Errorf("module.a.step.t does not see the moved record's output: %s", changesSummary(p))
	}
	for _, ch := range p.Changes {
		if ch.Address == "step.old" {
			t.Errorf("step.old is still planned: %s (%s)", ch.Action, ch.Reason)
		}
	}
	if st.Steps["step.old"] == nil || st.Steps["module.a.step.s"] != nil {
		t.Error("planning changed the given state")
	}
}

// TestModuleMovedToInstance adds for_each to a module with a moved block:
// its keyless records move to the instance; without for_each, the moved
// block's from is still planned, which is an error.
func TestModuleMovedToInstance(t *testing.T) {
	t.Parallel()
	files := map[string]string{"child/main.pf.hcl": childSrc}
	plain := modelSrc + `
module "a" {
  source = "./child"
  model  = model.fast
  text   = "hello"
}
`
	first := mustPlanSrc(t, plain, files, nil)
	st := recordKnown(first, map[string]string{"module.a.step.s": "S", "module.a.step.u": "U"})
	moved := "moved {\n  from = module.a\n  to   = module.a[\"hello\"]\n}\n"

	keyed := strings.Replace(plain, `text   = "hello"`, "for_each = toset([\"hello\"])\ntext = each.key", 1)
	p := mustPlanSrc(t, keyed+moved, files, st)
	var got []string
	for _, mv := range p.Moves {
		got = append(got, mv.From+" -> "+mv.Rec.Address)
	}
	want := []string{`module.a.step.s -> module.a["hello"].step.s`, `module.a.step.u -> module.a["hello"].step.u`}
	if !slices.Equal(got, want) {
		t.Errorf("wrong moves\ngot:  %q\nwant: %q", got, want)
	}
	for _, addr := range []string{`module.a["hello"].step.s`, `module.a["hello"].step.u`} {
		if c := change(t, p, addr); c.Action != Keep {
			t.Errorf("%s: got %s (%s), want keep", addr, c.Action, c.Reason)
		}
	}

	_, diags := planSrc(t, plain+moved, files, st)
	if got := errorsOf(diags); !slices.Equal(got, []string{"Moved object still exists"}) {
		t.Errorf("without for_each: wrong diagnostics\ngot:  %q\n%s", got, diagsText(diags))
	}
}

// modulesGraph is the graph of selectorsSrc: modules that call modules,
// and a for_each module.
