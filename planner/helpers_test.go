package planner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
)

// loadSrc writes src as main.pf.hcl (and files beside it) into a fresh
// directory and loads it; it fails on any diagnostic.
func loadSrc(t *testing.T, src string, files map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	files2 := map[string]string{"main.pf.hcl": src}
	for k, v := range files {
		files2[k] = v
	}
	for name, s := range files2 {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := config.NewParser().LoadDir(dir)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics loading:\n%s", diagsText(diags))
	}
	return cfg
}

// mustPlan loads src, collects its variables (defaults only) and plans it
// against st (nil for an empty state); it fails on any diagnostic.
func mustPlan(t *testing.T, src string, st *state.State, offline bool) *Plan {
	t.Helper()
	cfg := loadSrc(t, src, nil)
	vars, diags := config.NewParser().CollectVariables(cfg, nil, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics collecting variables:\n%s", diagsText(diags))
	}
	p, diags := Build(cfg, Options{Vars: vars, State: st, Offline: offline})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics planning:\n%s", diagsText(diags))
	}
	return p
}

// change returns the change of addr, failing when there is none.
func change(t *testing.T, p *Plan, addr string) *Change {
	t.Helper()
	for _, c := range p.Changes {
		if c.Address == addr {
			return c
		}
	}
	t.Fatalf("no change for %s in the plan; have %s", addr, changesSummary(p))
	return nil
}

// changesSummary is "ADDR ACTION (REASON)" per change, one a line.
func changesSummary(p *Plan) string {
	var lines []string
	for _, c := range p.Changes {
		lines = append(lines, c.Address+" "+c.Action.String()+" ("+c.Reason+")")
	}
	return strings.Join(lines, "\n")
}

// record turns the known changes of a plan into a state, as apply would
// after running them; outputs gives each address its recorded text.
func record(t *testing.T, p *Plan, outputs map[string]string, offline bool) *state.State {
	t.Helper()
	st := state.New()
	for _, c := range p.Changes {
		if c.Hash == "" {
			t.Fatalf("cannot record %s: its request is not known", c.Address)
		}
		st.Steps[c.Address] = &state.Step{
			Address:     c.Address,
			Name:        c.Addr.Step.Name,
			Key:         c.Addr.KeyJSON(),
			RequestHash: c.Hash,
			Request:     c.Canonical,
			Offline:     offline,
			Output:      outputs[c.Address],
			Model:       c.Request.Model,
		}
	}
	return st
}
