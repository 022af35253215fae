package cli

import "testing"

func TestNewStateAddr(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in        string
		wantCanon string
		wantErr   bool
		match     []string
		noMatch   []string
	}{
		"whole step": {
			in: "step.a", wantCanon: "step.a",
			match:   []string{"step.a", `step.a["k"]`, "step.a[0]"},
			noMatch: []string{"step.ab", `step.ab["k"]`, "step.b"},
		},
		"string key": {
			in: `step.a["k"]`, wantCanon: `step.a["k"]`,
			match:   []string{`step.a["k"]`},
			noMatch: []string{"step.a", `step.a["kk"]`},
		},
		"spaced key is canonical": {
			in: `step.a[ "k" ]`, wantCanon: `step.a["k"]`,
			match: []string{`step.a["k"]`},
		},
		"number key": {
			in: "step.a[2]", wantCanon: "step.a[2]",
			match:   []string{"step.a[2]"},
			noMatch: []string{"step.a[20]"},
		},
		"not a step":     {in: "output.x", wantErr: true},
		"no name":        {in: "step", wantErr: true},
		"two keys":       {in: `step.a["k"][0]`, wantErr: true},
		"attribute":      {in: "step.a.output", wantErr: true},
		"not an address": {in: "step.a b", wantErr: true},
		"bool key":       {in: "step.a[true]", wantErr: true},
		"in a module": {
			in: `module.m["k"].step.a`, wantCanon: `module.m["k"].step.a`,
			match:   []string{`module.m["k"].step.a`, `module.m["k"].step.a[0]`},
			noMatch: []string{`step.a`, `module.m["j"].step.a`, `module.m["k"].step.ab`},
		},
		"a module": {
			in: "module.m", wantCanon: "module.m",
			match:   []string{`module.m.step.a`, `module.m["k"].step.a[0]`, `module.m.module.n.step.b`},
			noMatch: []string{`step.a`, `module.mm.step.a`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := newStateAddr(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("wrong error for %q\ngot:  %v\nwant error: %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if a.String() != tt.wantCanon {
				t.Errorf("wrong canonical address\ngot:  %s\nwant: %s", a.String(), tt.wantCanon)
			}
			for _, addr := range tt.match {
				if !a.matches(addr) {
					t.Errorf("%s does not match %s, want a match", tt.in, addr)
				}
			}
			for _, addr := range tt.noMatch {
				if a.matches(addr) {
					t.Errorf("%s matches %s, want no match", tt.in, addr)
				}
			}
		})
	}
}
