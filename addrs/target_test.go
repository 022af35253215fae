package addrs

import (
	"fmt"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in        string
		want      string // the target's String, "" for an error
		wantWhole bool
		wantMods  int
		// noRoundTrip: String spells the key as the state does, Go-quoted,
		// and "${" in a string is HCL template syntax: on the command line
		// it is written "$${".
		noRoundTrip bool
	}{
		"whole step":            {in: "step.a", want: "step.a", wantWhole: true},
		"string key":            {in: `step.a["k"]`, want: `step.a["k"]`},
		"spaced key":            {in: `step.a[ "k" ]`, want: `step.a["k"]`},
		"number key":            {in: "step.a[2]", want: "step.a[2]"},
		"legacy index":          {in: "step.a.2"},
		"fraction key":          {in: "step.a[1.5]", want: "step.a[1.5]"},
		"quotes in key":         {in: `step.a["k \"1\""]`, want: `step.a["k \"1\""]`},
		"escapes in key":        {in: `step.a["a\\b\n\t"]`, want: `step.a["a\\b\n\t"]`},
		"unicode escape":        {in: `step.a["\u00e9"]`, want: `step.a["é"]`},
		"escaped template":      {in: `step.a["$${x}"]`, want: `step.a["${x}"]`, noRoundTrip: true},
		"empty key":             {in: `step.a[""]`, want: `step.a[""]`},
		"module":                {in: "module.m.step.a", want: "module.m.step.a", wantWhole: true, wantMods: 1},
		"module with keys":      {in: `module.m["k"].step.a[0]`, want: `module.m["k"].step.a[0]`, wantMods: 1},
		"nested modules":        {in: `module.m[1].module.n.step.a["x"]`, want: `module.m[1].module.n.step.a["x"]`, wantMods: 2},
		"not a step":            {in: "output.x"},
		"local":                 {in: "local.x"},
		"no name":               {in: "step"},
		"empty":                 {in: ""},
		"trailing dot":          {in: "step."},
		"two keys":              {in: `step.a["k"][0]`},
		"attribute":             {in: "step.a.output"},
		"not an address":        {in: "step.a b"},
		"bool key":              {in: "step.a[true]"},
		"null key":              {in: "step.a[null]"},
		"index for name":        {in: `step["a"]`},
		"template key":          {in: `step.a["${x}"]`},
		"variable key":          {in: "step.a[var.x]"},
		"splat":                 {in: "step.a[*]"},
		"module alone":          {in: "module.m", want: "module.m", wantWhole: true, wantMods: 1},
		"module instance alone": {in: `module.m["k"].module.n`, want: `module.m["k"].module.n`, wantWhole: true, wantMods: 2},
		"module without name":   {in: "module.step.a"},
		"module then output":    {in: "module.m.output.x"},
		"module with bool key":  {in: "module.m[true].step.a"},
		"module with two keys":  {in: `module.m["a"]["b"].step.a`},
		"model":                 {in: "model.x"},
		"two steps":             {in: "step.a.step.b"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.in)
			if tt.want == "" {
				want := fmt.Sprintf(`%q is not a step address; use step.NAME, step.NAME["key"], module.NAME, module.NAME.step.NAME, or for one sample of a step with repeat step.NAME["key"]#N`, tt.in)
				if err == nil || err.Error() != want {
					t.Fatalf("wrong error for %q\ngot:  %v\nwant: %s", tt.in, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Errorf("wrong target\ngot:  %s\nwant: %s", got, tt.want)
			}
			if got.Whole() != tt.wantWhole {
				t.Errorf("Whole() = %v, want %v", got.Whole(), tt.wantWhole)
			}
			if len(got.Step.Module) != tt.wantMods || got.Step.Module.IsRoot() != (tt.wantMods == 0) {
				t.Errorf("wrong module path %q, want %d calls", got.Step.Module, tt.wantMods)
			}
			if tt.noRoundTrip {
				return
			}
			// What String prints parses back to the same target.
			again, err := ParseTarget(got.String())
			if err != nil || again.String() != got.String() || !again.Step.Equal(got.Step) || !KeysEqual(again.Key, got.Key) {
				t.Errorf("round trip of %s gave %v, %v", got, again, err)
			}
		})
	}
}

func TestTargetMatches(t *testing.T) {
	t.Parallel()
	a, b := Step{Name: "a"}, Step{Name: "b"}
	inMod := Step{Module: Module{{Name: "m"}}, Name: "a"}
	inKeyed := Step{Module: Module{{Name: "m", Key: cty.StringVal("x")}}, Name: "a"}
	nested := Step{Module: Module{{Name: "m", Key: cty.StringVal("x")}, {Name: "n"}}, Name: "b"}
	tests := map[string]struct {
		target string
		inst   StepInstance
		want   bool
	}{
		"whole step, single":      {target: "step.a", inst: a.Instance(NoKey), want: true},
		"whole step, keyed":       {target: "step.a", inst: a.Instance(cty.StringVal("k")), want: true},
		"whole step, other step":  {target: "step.a", inst: b.Instance(NoKey)},
		"key, same":               {target: `step.a["k"]`, inst: a.Instance(cty.StringVal("k")), want: true},
		"key, other":              {target: `step.a["k"]`, inst: a.Instance(cty.StringVal("kk"))},
		"key, single":             {target: `step.a["k"]`, inst: a.Instance(NoKey)},
		"number, same":            {target: "step.a[1]", inst: a.Instance(cty.NumberIntVal(1)), want: true},
		"number against string":   {target: "step.a[1]", inst: a.Instance(cty.StringVal("1"))},
		"root against module":     {target: "step.a", inst: inMod.Instance(NoKey)},
		"module, same":            {target: "module.m.step.a", inst: inMod.Instance(NoKey), want: true},
		"module key against none": {target: `module.m["x"].step.a`, inst: inMod.Instance(NoKey)},
		"unkeyed call, keyed":     {target: "module.m.step.a", inst: inKeyed.Instance(NoKey), want: true},
		"other module key":        {target: `module.m["y"].step.a`, inst: inKeyed.Instance(NoKey)},
		"whole module":            {target: "module.m", inst: inKeyed.Instance(cty.NumberIntVal(0)), want: true},
		"whole module instance":   {target: `module.m["x"]`, inst: inKeyed.Instance(NoKey), want: true},
		"other module instance":   {target: `module.m["y"]`, inst: inKeyed.Instance(NoKey)},
		"module, nested inside":   {target: "module.m", inst: nested.Instance(NoKey), want: true},
		"module against root":     {target: "module.m", inst: a.Instance(NoKey)},
		"other module":            {target: "module.n", inst: inMod.Instance(NoKey)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			target, err := ParseTarget(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			if got := target.Matches(tt.inst); got != tt.want {
				t.Errorf("%s matches %s: got %v, want %v", tt.target, tt.inst, got, tt.want)
			}
		})
	}
}

func TestParseTargetSamples(t *testing.T) {
	for in, want := range map[string]string{
		`step.a["k"]#2`: `step.a["k"]#2`,
		`step.a["k"]#0`: `step.a["k"]#0`,
		`step.a#3`:      `step.a#3`,
		`step.a["k#1"]`: `step.a["k#1"]`,
	} {
		got, err := ParseTarget(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseTarget(%s) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{`step.a#x`, `step.a #1 x`, `step.a["k"]#-1`, `step.a["k"]#01`, `step.a # comment`} {
		if got, err := ParseTarget(in); err == nil {
			t.Errorf("ParseTarget(%s) = %v; want an error", in, got)
		}
	}
	sample, _ := ParseTarget(`step.a["k"]#2`)
	inst := Step{Name: "a"}.Instance(cty.StringVal("k"))
	if sample.Matches(inst) {
		t.Error("a sample target matches sample 0")
	}
	inst.Sample = 2
	if !sample.Matches(inst) {
		t.Error("a sample target does not match its sample")
	}
	whole, _ := ParseTarget(`step.a["k"]`)
	if !whole.Matches(inst) {
		t.Error("an instance target does not match its samples")
	}
	first, _ := ParseTarget(`step.a["k"]#0`)
	if first.Matches(inst) || first.Whole() {
		t.Error("#0 names more than the first sample")
	}
	inst.Sample = 0
	if !first.Matches(inst) {
		t.Error("#0 does not name the first sample")
	}
}
