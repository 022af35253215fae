package planner

import (
	"testing"

	"github.com/promptform/promptform/addrs"
	"github.com/zclconf/go-cty/cty"
)

func TestParseSelector(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    string // the selector's address; "" for an error
		wantErr string
	}{
		"whole step":  {in: "step.a", want: "step.a"},
		"keyed":       {in: `step.a[ "k" ]`, want: `step.a["k"]`},
		"count index": {in: "step.a[3]", want: "step.a[3]"},
		"not a step":  {in: "model.x", wantErr: `"model.x" is not a step address; use step.NAME, step.NAME["key"], module.NAME, module.NAME.step.NAME, or for one sample of a step with repeat step.NAME["key"]#N`},
		"in a module": {in: `module.m["k"].step.a`, want: `module.m["k"].step.a`},
		"a module":    {in: "module.m", want: "module.m"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sel, err := ParseSelector(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("wrong error\ngot:  %v\nwant: %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sel.String() != tt.want || sel.Text != tt.in {
				t.Errorf("wrong selector\ngot:  %s (text %q)\nwant: %s (text %q)", sel, sel.Text, tt.want, tt.in)
			}
		})
	}
}

func TestFilterRunsInstance(t *testing.T) {
	t.Parallel()
	a := addrs.Step{Name: "a"}
	sel := func(s string) Selector {
		t.Helper()
		sel, err := ParseSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return sel
	}
	f := &Filter{
		Targets:  []Selector{sel(`step.a["x"]`), sel(`step.a["y"]`)},
		Excludes: []Selector{sel(`step.a["y"]`)},
		Replace:  []Selector{sel(`step.a["x"]`)},
	}
	tests := map[string]struct {
		inst                   Addr
		wantRuns, wantReplaced bool
	}{
		"targeted":           {inst: a.Instance(cty.StringVal("x")), wantRuns: true, wantReplaced: true},
		"targeted, excluded": {inst: a.Instance(cty.StringVal("y"))},
		"not targeted":       {inst: a.Instance(cty.StringVal("z"))},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := f.RunsInstance(tt.inst); got != tt.wantRuns {
				t.Errorf("RunsInstance(%s) = %v, want %v", tt.inst, got, tt.wantRuns)
			}
			if got := f.Replaced(tt.inst); got != tt.wantReplaced {
				t.Errorf("Replaced(%s) = %v, want %v", tt.inst, got, tt.wantReplaced)
			}
		})
	}
}
