package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

const twoModels = `
model "a" { id = "gpt-5-mini" }
model "b" { id = "claude-sonnet-4-6" }
model "c" { id = "gemini-2.5-flash" }
fallback "ab" {
  models = [model.a, model.c]
}
`

// TestModelValueShape checks what model.NAME and fallback.NAME are in
// expressions: one object type for both, which lists unify, setproduct
// combines, for_each keys read and JSON encodes.
func TestModelValueShape(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, twoModels+`
locals {
  mixed   = [model.a, fallback.ab]
  product = setproduct(["v1", "v2"], [model.a, model.b], [{ id = "r1" }])
  keys    = [for p in local.product : "${p[0]}-${p[1].name}-${p[2].id}"]
}
output "mixed" { value = local.mixed }
output "keys" { value = local.keys }
output "json" { value = jsonencode(local.mixed) }
`, nil, true)
	mixed := p.Outputs["mixed"]
	if !mixed.Type().IsTupleType() && !mixed.Type().IsListType() {
		t.Fatalf("mixed is a %s", mixed.Type().FriendlyName())
	}
	want := []cty.Value{
		ModelVal("model", "a", cty.StringVal("gpt-5-mini")),
		ModelVal("fallback", "ab", cty.StringVal("gpt-5-mini")),
	}
	for i, v := range mixed.AsValueSlice() {
		if !v.Type().Equals(ModelType) || !v.RawEquals(want[i]) {
			t.Errorf("wrong element %d\ngot:  %#v\nwant: %#v", i, v, want[i])
		}
	}
	var keys []string
	for _, k := range p.Outputs["keys"].AsValueSlice() {
		keys = append(keys, k.AsString())
	}
	if want := []string{"v1-a-r1", "v1-b-r1", "v2-a-r1", "v2-b-r1"}; !slices.Equal(keys, want) {
		t.Errorf("wrong keys\ngot:  %q\nwant: %q", keys, want)
	}
	wantJSON := `[{"id":"gpt-5-mini","name":"a","type":"model"},{"id":"gpt-5-mini","name":"ab","type":"fallback"}]`
	if got := p.Outputs["json"].AsString(); got != wantJSON {
		t.Errorf("wrong JSON\ngot:  %s\nwant: %s", got, wantJSON)
	}
	b, err := ctyjson.Marshal(want[0], want[0].Type())
	if err != nil || string(b) != `{"id":"gpt-5-mini","name":"a","type":"model"}` {
		t.Errorf("wrong JSON encoding of a model: %s, %v", b, err)
	}
}

// TestModelPerInstance checks that each instance gets the model its
// expression yields, with the chain of a fallback.
func TestModelPerInstance(t *testing.T) {
	t.Parallel()
	p := mustPlan(t, twoModels+`
locals {
  models = { x = model.a, y = model.b, z = fallback.ab }
}
step "s" {
  for_each = local.models
  model    = each.value
  prompt   = "hi ${each.key}"
}
step "n" {
  count  = 2
  model  = count.index == 0 ? model.c : model.b
  prompt = "n"
}
step "plain" {
  model  = model.a
  prompt = "p"
}
`, nil, true)
	tests := map[string]struct{ model, address, wire string }{
		`step.s["x"]`: {"a", "model.a", "gpt-5-mini"},
		`step.s["y"]`: {"b", "model.b", "claude-sonnet-4-6"},
		`step.s["z"]`: {"a", "fallback.ab", "gpt-5-mini"},
		`step.n[0]`:   {"c", "model.c", "gemini-2.5-flash"},
		`step.n[1]`:   {"b", "model.b", "claude-sonnet-4-6"},
		`step.plain`:  {"a", "model.a", "gpt-5-mini"},
	}
	for addr, want := range tests {
		c := change(t, p, addr)
		r := c.Rendered
		if r.Model.Name != want.model || r.ModelAddress() != want.address || c.Request.Model != want.wire {
			t.Errorf("%s: got model %s, %s, sent to %s; want %s, %s, %s", addr, r.Model.Name, r.ModelAddress(), c.Request.Model, want.model, want.address, want.wire)
		}
	}
	if r := change(t, p, `step.s["z"]`); r.Rendered.Fallback == nil || len(r.Request.Fallbacks) != 1 || r.Request.Fallbacks[0].Model != "gemini-2.5-flash" {
		t.Errorf("the fallback instance lost its chain: %+v", r.Request)
	}
}

// TestModelRefsMakeNoEdges checks that model and fallback references are
// checked but add no edge to the graph.
func TestModelRefsMakeNoEdges(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, twoModels+`
locals {
  pick = [model.a, fallback.ab]
}
step "s" {
  model  = local.pick[0]
  prompt = "x"
}
`, nil)
	g, diags := BuildGraph(cfg, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %s", diagsText(diags))
	}
	if got, want := g.String(), "step.s -> local.pick"; got != want {
		t.Errorf("wrong edges\ngot:  %s\nwant: %s", got, want)
	}
}

// TestModelRefErrors checks the errors of references to models that are
// not declared, wherever they are written.
func TestModelRefErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src         string
		wantSummary string
		wantDetail  string
		wantLine    int
	}{
		"undeclared model in a local": {
			src:         "locals {\n  models = [model.a, model.bb]\n}\n",
			wantSummary: "Reference to undeclared model", wantDetail: `No model named "bb" is declared. Did you mean "b"?`, wantLine: 2,
		},
		"undeclared fallback in a step's model expression": {
			src:         "step \"s\" {\n  count  = 1\n  model  = count.index == 0 ? fallback.abc : model.a\n  prompt = \"x\"\n}\n",
			wantSummary: "Reference to undeclared fallback", wantDetail: `No fallback named "abc" is declared. Did you mean "ab"?`, wantLine: 3,
		},
		"undeclared model in an output": {
			src:         "output \"o\" {\n  value = model.zzz.id\n}\n",
			wantSummary: "Reference to undeclared model", wantDetail: `No model named "zzz" is declared.`, wantLine: 2,
		},
		"a model without a name": {
			src:         "locals {\n  m = model\n}\n",
			wantSummary: "Invalid reference", wantDetail: "as in model.NAME", wantLine: 2,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := loadSrc(t, twoModels+tc.src, nil)
			_, diags := BuildGraph(cfg, nil)
			if len(diags) != 1 {
				t.Fatalf("got %s; want one %q", diagsText(diags), tc.wantSummary)
			}
			d := diags[0]
			if d.Summary != tc.wantSummary || !strings.Contains(d.Detail, tc.wantDetail) {
				t.Errorf("wrong diagnostic\ngot:  %q %q\nwant: %q containing %q", d.Summary, d.Detail, tc.wantSummary, tc.wantDetail)
			}
			if line := strings.Count(twoModels, "\n") + tc.wantLine; d.Subject == nil || d.Subject.Start.Line != line {
				t.Errorf("subject %v, want line %d", d.Subject, line)
			}
		})
	}
}

// TestModelValueErrors checks that a model expression yielding anything but
// a declared model or fallback chain is an error on the expression that
// says what was given, per instance.
func TestModelValueErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		value       string // each.value of the instance "k"
		wantSummary string
		wantDetail  string
	}{
		"a string":               {`"a"`, "Invalid model", `this is the string "a"; write model.a, without quotes.`},
		"a string of a fallback": {`"ab"`, "Invalid model", "write fallback.ab, without quotes"},
		"an unrelated string":    {`"gpt-5"`, "Invalid model", `this is the string "gpt-5".`},
		"a number":               {`3`, "Invalid model", "this is the number 3."},
		"a bool":                 {`true`, "Invalid model", "this is the bool true."},
		"null":                   {`null`, "Invalid model", "this is null."},
		"a list":                 {`[model.a]`, "Invalid model", "this is a tuple"},
		"another object":         {`{ model = model.a }`, "Invalid model", "an object with the one attribute model."},
		"another type":           {`{ type = "tool", name = "a", id = "x" }`, "Invalid model", `an object of type "tool"`},
		"an undeclared model":    {`{ type = "model", name = "aa", id = "x" }`, "Reference to undeclared model", `is model.aa, but no model named "aa" is declared. Did you mean model.a?`},
		"another id":             {`{ type = "model", name = "a", id = "gpt-5" }`, "Invalid model", `the id of model.a is "gpt-5-mini"; use model.a itself.`},
		"a sensitive choice":     {`var.secret ? model.a : model.b`, "Invalid model", "must not depend on a sensitive value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := twoModels + `
variable "secret" {
  default   = true
  sensitive = true
}
step "s" {
  for_each = { k = ` + tc.value + ` }
  model    = each.value
  prompt   = "x"
}
`
			cfg := loadSrc(t, src, nil)
			vars, _ := config.NewParser().CollectVariables(cfg, nil, nil)
			_, diags := Build(cfg, Options{Vars: vars, State: state.New()})
			if len(diags) != 1 {
				t.Fatalf("got %s; want one %q", diagsText(diags), tc.wantSummary)
			}
			d := diags[0]
			if d.Summary != tc.wantSummary || !strings.Contains(d.Detail, tc.wantDetail) || !strings.Contains(d.Detail, `step.s["k"]`) {
				t.Errorf("wrong diagnostic\ngot:  %q %q\nwant: %q containing %q and the instance", d.Summary, d.Detail, tc.wantSummary, tc.wantDetail)
			}
			if d.Subject == nil || d.Subject.Start.Line != strings.Count(src[:strings.Index(src, "each.value\n")], "\n")+1 {
				t.Errorf("subject %v is not the model expression", d.Subject)
			}
		})
	}
}

// TestModelNotKnown checks that a model that depends on the answer of a
// step that will run is an error when planning, and one chosen from a
// recorded answer is not.
func TestModelNotKnown(t *testing.T) {
	t.Parallel()
	src := twoModels + `
step "judge" {
  model  = model.a
  prompt = "pick"
}
step "s" {
  model  = step.judge.output == "b" ? model.b : model.c
  prompt = "x"
}
`
	cfg := loadSrc(t, src, nil)
	_, diags := Build(cfg, Options{State: state.New(), Offline: true})
	if len(diags) != 1 || diags[0].Summary != "Model not known at plan time" || !strings.Contains(diags[0].Detail, "must be known when the plan is made") {
		t.Fatalf("got %s; want one \"Model not known at plan time\"", diagsText(diags))
	}
	if d := diags[0]; d.Subject == nil || d.Subject.Start.Line != strings.Count(twoModels, "\n")+7 {
		t.Errorf("subject %v is not the model expression", d.Subject)
	}
	first := mustPlan(t, src[:strings.Index(src, `step "s"`)], nil, true)
	st := record(t, first, map[string]string{"step.judge": "b"}, true)
	p, diags := Build(cfg, Options{State: st, Offline: true})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics with step.judge recorded: %s", diagsText(diags))
	}
	if c := change(t, p, "step.s"); c.Rendered.Model.Name != "b" {
		t.Errorf("step.s uses model.%s; want model.b, as the recorded answer says", c.Rendered.Model.Name)
	}
}

// TestModelCatalogPerInstance checks that the catalog check reads each
// instance's model and names it, with the model expression as subject.
func TestModelCatalogPerInstance(t *testing.T) {
	t.Parallel()
	src := `
model "good" { id = "gpt-5-mini" }
model "typo" { id = "gpt-5-mimi" }
step "s" {
  for_each = { x = model.good, y = model.typo }
  model    = each.value
  prompt   = "x"
}
`
	cfg := loadSrc(t, src, nil)
	cats := map[*config.Gateway]*Catalog{cfg.Gateway(cfg.Models["good"]): NewCatalog([]gateway.Model{{ID: "gpt-5-mini"}}, true)}
	_, diags := Build(cfg, Options{State: state.New(), Catalogs: cats})
	if len(diags) != 1 {
		t.Fatalf("got %s; want one \"Unknown model\"", diagsText(diags))
	}
	d := diags[0]
	if want := `Model "gpt-5-mimi" (model.typo, used by step.s["y"]) is not served`; d.Summary != "Unknown model" || !strings.Contains(d.Detail, want) {
		t.Errorf("wrong diagnostic\ngot:  %q %q\nwant: \"Unknown model\" containing %q", d.Summary, d.Detail, want)
	}
	if d.Subject == nil || d.Subject.Start.Line != 6 {
		t.Errorf("subject %v, want the model expression on line 6", d.Subject)
	}
}

// TestModelIDUnknownWhenValidating checks that a model whose id uses a
// variable without a value (as validate plans) is still a known model
// value: for_each keys and the choice of model do not depend on the id.
func TestModelIDUnknownWhenValidating(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, `
variable "mid" {}
model "a" { id = var.mid }
model "b" { id = "gpt-5-mini" }
step "s" {
  for_each = { for m in [model.a, model.b] : m.name => m }
  model    = each.value
  prompt   = "x"
}
`, nil)
	vars := map[string]cty.Value{"mid": cty.UnknownVal(cty.String)}
	p, diags := Build(cfg, Options{Vars: vars, State: state.New(), Offline: true})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %s", diagsText(diags))
	}
	if c := change(t, p, `step.s["a"]`); c.Rendered.Model.Name != "a" {
		t.Errorf(`step.s["a"] uses model.%s; want model.a`, c.Rendered.Model.Name)
	}
}
