package cli

import (
	"encoding/json"
	"sort"

	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// graphOrder returns the recorded step instances in the order of the
// configuration's graph (dependencies first), the instances of one step by
// key (count indexes as numbers), and instances of steps no longer in the
// configuration last, by address. Without a valid configuration it is
// address order. It prints nothing.
func (m *Meta) graphOrder(st *state.State) []string {
	rank := map[string]int{}
	if cfg, diags := m.loadConfig(); !diags.HasErrors() {
		if g, diags := planner.BuildGraph(cfg, nil); !diags.HasErrors() {
			for i, addr := range g.Order {
				rank[addr] = i + 1
			}
		}
	}
	recorded := st.Addresses()
	pos := func(a string) int {
		if r, ok := rank[addrs.Step{Name: st.Steps[a].Name}.String()]; ok {
			return r
		}
		return len(rank) + 1
	}
	sort.SliceStable(recorded, func(i, j int) bool {
		a, b := recorded[i], recorded[j]
		if pa, pb := pos(a), pos(b); pa != pb {
			return pa < pb
		}
		if st.Steps[a].Name != st.Steps[b].Name {
			return a < b
		}
		return keyLess(st.Steps[a].Key, st.Steps[b].Key, a, b)
	})
	return recorded
}

// keyLess orders two instance keys of one step: numbers numerically, then
// anything else by address.
func keyLess(ka, kb json.RawMessage, a, b string) bool {
	var na, nb float64
	if json.Unmarshal(ka, &na) == nil && json.Unmarshal(kb, &nb) == nil {
		return na < nb
	}
	return a < b
}
