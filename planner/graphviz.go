package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/promptform/promptform/addrs"
)

// edge is one dependency of the graph in the direction data flows: from
// the dependency to the node that uses it.
type edge struct{ from, to string }

// flowEdges returns every edge dependency -> dependent, sorted by source
// then target.
func (g *Graph) flowEdges() []edge {
	var out []edge
	for _, addr := range slices.Sorted(maps.Keys(g.Nodes)) {
		for _, d := range g.Nodes[addr].Deps {
			if g.Nodes[d] != nil {
				out = append(out, edge{from: d, to: addr})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].from != out[j].from {
			return out[i].from < out[j].from
		}
		return out[i].to < out[j].to
	})
	return out
}

// dotAttrs are the Graphviz attributes of each kind of node.
var dotAttrs = map[addrs.Kind]string{
	KindStep:   `shape = "box", style = "rounded,filled", fillcolor = "#fff7d6"`,
	KindLocal:  `shape = "ellipse", style = "dashed"`,
	KindOutput: `shape = "note", style = "filled", fillcolor = "#e6f4ea"`,
	KindCheck:  `shape = "hexagon", style = "filled", fillcolor = "#fde8e8"`,
	KindVar:    `shape = "cds", style = "filled", fillcolor = "#eef2ff"`,
}

// DOT renders the graph in the Graphviz language: one node per step, local,
// output and check, labelled with its address, and one edge from each
// dependency to the node that uses it. The text is sorted, so the same
// configuration always gives the same bytes.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph promptform {\n")
	b.WriteString("  rankdir = \"LR\";\n")
	b.WriteString("  node [fontname = \"Helvetica\"];\n")
	if len(g.Nodes) > 0 {
		b.WriteString("\n")
	}
	cluster := 0
	g.eachModule(func(mi *ModuleInstance, depth int, nodes []*Node, end bool) {
		indent := strings.Repeat("  ", depth+1)
		switch {
		case end:
			fmt.Fprintf(&b, "%s}\n", strings.Repeat("  ", depth))
			return
		case mi.Parent != nil:
			cluster++
			fmt.Fprintf(&b, "%ssubgraph \"cluster_%d\" {\n", strings.Repeat("  ", depth), cluster)
			fmt.Fprintf(&b, "%slabel = %s;\n", indent, dotQuote(mi.Path.String()))
		}
		for _, n := range nodes {
			fmt.Fprintf(&b, "%s%s [label = %s, %s];\n", indent, dotQuote(n.Addr), dotQuote(n.Addr), dotAttrs[n.Kind])
		}
	})
	edges := g.flowEdges()
	if len(edges) > 0 {
		b.WriteString("\n")
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(e.from), dotQuote(e.to))
	}
	b.WriteString("}\n")
	return b.String()
}

func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// mermaidShapes are the opening and closing brackets of each kind of node:
// steps are rectangles, locals stadiums, outputs parallelograms and checks
// hexagons.
var mermaidShapes = map[addrs.Kind][2]string{
	KindStep:   {"[", "]"},
	KindLocal:  {"([", "])"},
	KindOutput: {"[/", "/]"},
	KindCheck:  {"{{", "}}"},
	KindVar:    {">", "]"},
}

// mermaidStyles are the class definitions, one per kind of node.
var mermaidStyles = []string{
	"classDef step fill:#fff7d6,stroke:#b08800",
	"classDef local fill:#ffffff,stroke:#6a737d,stroke-dasharray:4 3",
	"classDef output fill:#e6f4ea,stroke:#2da44e",
	"classDef check fill:#fde8e8,stroke:#cf222e",
	"classDef var fill:#eef2ff,stroke:#4f46e5",
}

// Mermaid renders the graph as a Mermaid flowchart (GitHub renders it in
// a ```mermaid block): node ids are the addresses made safe, labels are the
// quoted addresses, and edges run from each dependency to its user. The
// text is sorted, so the same configuration always gives the same bytes.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := mermaidIDs(slices.Sorted(maps.Keys(g.Nodes)))
	cluster := 0
	g.eachModule(func(mi *ModuleInstance, depth int, nodes []*Node, end bool) {
		indent := strings.Repeat("  ", depth+1)
		switch {
		case end:
			fmt.Fprintf(&b, "%send\n", strings.Repeat("  ", depth))
			return
		case mi.Parent != nil:
			cluster++
			fmt.Fprintf(&b, "%ssubgraph module_%d[%s]\n", strings.Repeat("  ", depth), cluster, mermaidQuote(mi.Path.String()))
		}
		for _, n := range nodes {
			sh, ok := mermaidShapes[n.Kind]
			if !ok {
				sh = mermaidShapes[KindStep]
			}
			fmt.Fprintf(&b, "%s%s%s%s%s:::%s\n", indent, ids[n.Addr], sh[0], mermaidQuote(n.Addr), sh[1], n.Kind)
		}
	})
	for _, e := range g.flowEdges() {
		fmt.Fprintf(&b, "  %s --> %s\n", ids[e.from], ids[e.to])
	}
	for _, s := range mermaidStyles {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// mermaidIDs gives each address an id made of letters, digits and
// underscores, distinct from the others; addrs must be sorted.
func mermaidIDs(addrs []string) map[string]string {
	ids := map[string]string{}
	used := map[string]bool{}
	for _, a := range addrs {
		var sb strings.Builder
		for _, r := range a {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
				sb.WriteRune(r)
			default:
				sb.WriteByte('_')
			}
		}
		id := sb.String()
		for i := 2; used[id]; i++ {
			id = fmt.Sprintf("%s_%d", sb.String(), i)
		}
		used[id] = true
		ids[a] = id
	}
	return ids
}

// mermaidQuote quotes a label, writing quotes and angle brackets as
// Mermaid's entity codes.
func mermaidQuote(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return `"` + r.Replace(s) + `"`
}

// eachModule calls f for every module instance, callers first and each
// one's calls after its own nodes, with its depth (0 for the root), its
// nodes sorted by address and end false; then, for every module instance
// but the root, once more with end true when its calls are done. Renderers
// draw a module instance as a cluster that holds its calls.
func (g *Graph) eachModule(f func(mi *ModuleInstance, depth int, nodes []*Node, end bool)) {
	byMod := map[*ModuleInstance][]*Node{}
	for _, addr := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[addr]
		byMod[n.Mod] = append(byMod[n.Mod], n)
	}
	var visit func(mi *ModuleInstance, depth int)
	visit = func(mi *ModuleInstance, depth int) {
		f(mi, depth, byMod[mi], false)
		for _, name := range slices.Sorted(maps.Keys(mi.Children)) {
			for _, ci := range mi.Children[name] {
				visit(ci, depth+1)
			}
		}
		if mi.Parent != nil {
			f(mi, depth, nil, true)
		}
	}
	if len(g.Modules) > 0 {
		visit(g.Modules[0], 0)
	}
}
