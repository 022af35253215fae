package planner

import (
	"slices"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func modulesGraph(t *testing.T) *Graph {
	t.Helper()
	g, diags := BuildGraph(loadSrc(t, selectorsSrc, selectorsFiles), map[string]cty.Value{})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
	}
	return g
}

func TestModuleDOT(t *testing.T) {
	t.Parallel()
	g := modulesGraph(t)
	dot := g.DOT()
	// module.a, its module.b, module.ab, its module.b, module.fe["x"] and ["y"].
	if got := strings.Count(dot, `subgraph "cluster_`); got != 6 {
		t.Errorf("%d clusters, want 6:\n%s", got, dot)
	}
	for _, label := range []string{`"module.a"`, `"module.a.module.b"`, `"module.ab"`, `"module.ab.module.b"`, `"module.fe[\"x\"]"`, `"module.fe[\"y\"]"`} {
		if !strings.Contains(dot, "label = "+label+";") {
			t.Errorf("no cluster labelled %s:\n%s", label, dot)
		}
	}
	// The cluster of module.a.module.b is inside module.a's, and holds its step.
	lines := strings.Split(dot, "\n")
	depth, depthOf := 0, map[string]int{}
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trimmed, "subgraph "):
			depth++
		case trimmed == "}" && depth > 0:
			depth--
		case strings.HasPrefix(trimmed, "label = "):
			depthOf[strings.TrimSuffix(strings.TrimPrefix(trimmed, "label = "), ";")] = depth
		case strings.HasPrefix(trimmed, `"module.a.module.b.step.y" [`):
			depthOf["step"] = depth
		}
	}
	if depth != 0 {
		t.Errorf("unbalanced clusters:\n%s", dot)
	}
	if !strings.Contains(dot, "\n    subgraph \"cluster_") {
		t.Errorf("no nested cluster indented under its parent:\n%s", dot)
	}
	if depthOf[`"module.a"`] != 1 || depthOf[`"module.a.module.b"`] != 2 || depthOf["step"] != 2 || depthOf[`"module.fe[\"x\"]"`] != 1 {
		t.Errorf("wrong nesting %v:\n%s", depthOf, dot)
	}
	if g.DOT() != dot {
		t.Error("DOT is not deterministic")
	}
}

func TestModuleMermaid(t *testing.T) {
	t.Parallel()
	g := modulesGraph(t)
	mm := g.Mermaid()
	depth, opened, maxDepth := 0, 0, 0
	var labels []string
	for _, l := range strings.Split(mm, "\n") {
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trimmed, "subgraph module_"):
			depth++
			opened++
			maxDepth = max(maxDepth, depth)
			labels = append(labels, trimmed[strings.Index(trimmed, "[")+1:len(trimmed)-1])
		case trimmed == "end":
			depth--
			if depth < 0 {
				t.Fatalf("end without subgraph:\n%s", mm)
			}
		}
	}
	if depth != 0 || opened != 6 || maxDepth != 2 {
		t.Errorf("got %d subgraphs, %d left open, nested %d deep; want 6, 0, 2:\n%s", opened, depth, maxDepth, mm)
	}
	want := []string{`"module.a"`, `"module.a.module.b"`, `"module.ab"`, `"module.ab.module.b"`, `"module.fe[#quot;x#quot;]"`, `"module.fe[#quot;y#quot;]"`}
	if !slices.Equal(labels, want) {
		t.Errorf("wrong subgraph labels\ngot:  %q\nwant: %q", labels, want)
	}
}

func TestModuleValues(t *testing.T) {
	t.Parallel()
	p := mustPlanSrc(t, `
module "a" {
  source = "./echo"
  text   = "A"
}

module "b" {
  source   = "./echo"
  for_each = toset(["x", "y"])
  text     = each.key
}

module "c" {
  source = "./echo"
  count  = 2
  text   = "c${count.index}"
}

output "plain" {
  value = module.a
}

output "keyed" {
  value = module.b["x"]
}

output "all_b" {
  value = module.b
}

output "list" {
  value = [for m in module.c : m.out]
}

output "one" {
  value = module.c[1].n
}

output "all_c" {
  value = module.c
}
`, map[string]string{"echo/main.pf.hcl": echoSrc}, nil)
	echo := func(text string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"out": cty.StringVal("got " + text), "n": cty.NumberIntVal(int64(len(text)))})
	}
	for name, want := range map[string]cty.Value{
		"plain": echo("A"),
		"keyed": echo("x"),
		"all_b": cty.ObjectVal(map[string]cty.Value{"x": echo("x"), "y": echo("y")}),
		"list":  cty.TupleVal([]cty.Value{cty.StringVal("got c0"), cty.StringVal("got c1")}),
		"one":   cty.NumberIntVal(2),
		"all_c": cty.TupleVal([]cty.Value{echo("c0"), echo("c1")}),
	} {
		if got := p.Outputs[name]; !got.RawEquals(want) {
			t.Errorf("wrong output %s\ngot:  %#v\nwant: %#v", name, got, want)
		}
	}
	// A reference depends on the outputs of the instances it names only.
	for addr, want := range map[string][]string{
		"output.plain": {"module.a.output.n", "module.a.output.out"},
		"output.keyed": {`module.b["x"].output.n`, `module.b["x"].output.out`},
		"output.all_b": {`module.b["x"].output.n`, `module.b["x"].output.out`, `module.b["y"].output.n`, `module.b["y"].output.out`},
		"output.one":   {"module.c[1].output.n"},
	} {
		if got := p.Graph.Nodes[addr].Deps; !slices.Equal(got, want) {
			t.Errorf("wrong dependencies of %s\ngot:  %q\nwant: %q", addr, got, want)
		}
	}
}
