package planner

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// cycles returns the strongly connected components with more than one node
// (Tarjan's algorithm), each sorted.
func (g *Graph) cycles() [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.Nodes[v].Deps {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		if len(scc) > 1 {
			out = append(out, scc)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(g.Nodes)) {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	for _, scc := range out {
		sort.Strings(scc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// cyclePath returns a shortest cycle through the smallest address of the
// component, following real edges: a → b → … (and back to a). The
// component's other nodes, if any, are not on it; see others.
func (g *Graph) cyclePath(scc []string) []string {
	in := map[string]bool{}
	for _, v := range scc {
		in[v] = true
	}
	sort.Strings(scc)
	start := scc[0]
	prev := map[string]string{start: ""}
	queue := []string{start}
	end := ""
	for len(queue) > 0 && end == "" {
		cur := queue[0]
		queue = queue[1:]
		for _, w := range g.Nodes[cur].Deps {
			if w == start {
				end = cur
				break
			}
			if _, seen := prev[w]; in[w] && !seen {
				prev[w] = cur
				queue = append(queue, w)
			}
		}
	}
	var path []string
	for v := end; v != ""; v = prev[v] {
		path = append([]string{v}, path...)
	}
	return path
}

// others returns the members of scc that are not on path, sorted.
func others(scc, path []string) []string {
	on := map[string]bool{}
	for _, v := range path {
		on[v] = true
	}
	var out []string
	for _, v := range scc {
		if !on[v] {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func cycleDiags(g *Graph, cycles [][]string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, scc := range cycles {
		c := g.cyclePath(scc)
		// The reference that closes the cycle: from the last node back to the first.
		last := g.Nodes[c[len(c)-1]]
		subject := last.Range
		for _, r := range last.Refs {
			if slices.Contains(refNodes(last.evalModule(), r), c[0]) {
				subject = r.SourceRange
				break
			}
		}
		detail := fmt.Sprintf("These refer to each other in a cycle, each to the next, so none of them can run first:\n  %s → %s\n",
			strings.Join(c, " → "), c[0])
		if rest := others(scc, c); len(rest) > 0 {
			detail += fmt.Sprintf("Caught in cycles with them: %s.\n", strings.Join(rest, ", "))
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency cycle",
			Detail:   detail + "Remove one of the references.",
			Subject:  subject.Ptr(),
		})
	}
	return diags
}

// topoOrder returns the nodes with every dependency before its dependents;
// among nodes that are ready at the same time the smallest address comes
// first.
func (g *Graph) topoOrder() []string {
	waiting := map[string]int{}
	dependents := map[string][]string{}
	for addr, n := range g.Nodes {
		waiting[addr] = len(n.Deps)
		for _, d := range n.Deps {
			dependents[d] = append(dependents[d], addr)
		}
	}
	var ready, order []string
	for addr, w := range waiting {
		if w == 0 {
			ready = append(ready, addr)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		v := ready[0]
		ready = ready[1:]
		order = append(order, v)
		for _, d := range dependents[v] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	return order
}
