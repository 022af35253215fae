package cli

import (
	"fmt"

	"github.com/promptform/promptform/planner"
)

// graphFormats are the renderings graph can write.
var graphFormats = map[string]func(*planner.Graph) string{
	"dot":     (*planner.Graph).DOT,
	"mermaid": (*planner.Graph).Mermaid,
}

func runGraph(m *Meta, args []string) int {
	fs := m.newFlags("graph", "graph [-format=dot|mermaid]")
	format := fs.String("format", "dot", "the graph language: dot (Graphviz) or mermaid (renders on GitHub)")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := graphView{m.view()}
	render, ok := graphFormats[*format]
	if !ok {
		return view.fail("Invalid -format", fmt.Sprintf("-format must be dot or mermaid, not %q.", *format))
	}
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	// Module for_each and count use the variables when they have values;
	// without, such modules are left out rather than failing.
	vars, varDiags := m.parser.CollectVariables(cfg, nil, m.Environ())
	if varDiags.HasErrors() {
		vars = nil
	}
	g, graphDiags := planner.BuildGraph(cfg, vars)
	diags = append(diags, graphDiags...)
	view.diags(diags)
	if diags.HasErrors() {
		return 1
	}
	view.graph(render(g))
	return 0
}
