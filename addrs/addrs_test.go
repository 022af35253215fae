package addrs

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestStepInstanceString(t *testing.T) {
	t.Parallel()
	a := Step{Name: "a"}
	tests := map[string]struct {
		addr     StepInstance
		want     string
		wantJSON string
	}{
		"single":         {addr: a.Instance(NoKey), want: "step.a"},
		"string key":     {addr: a.Instance(cty.StringVal("k")), want: `step.a["k"]`, wantJSON: `"k"`},
		"quoted key":     {addr: a.Instance(cty.StringVal(`k "1"`)), want: `step.a["k \"1\""]`, wantJSON: `"k \"1\""`},
		"backslash key":  {addr: a.Instance(cty.StringVal(`a\b`)), want: `step.a["a\\b"]`, wantJSON: `"a\\b"`},
		"newline key":    {addr: a.Instance(cty.StringVal("a\nb\tc")), want: `step.a["a\nb\tc"]`, wantJSON: `"a\nb\tc"`},
		"control key":    {addr: a.Instance(cty.StringVal("\x01")), want: `step.a["\x01"]`, wantJSON: `"\u0001"`},
		"unicode key":    {addr: a.Instance(cty.StringVal("é")), want: `step.a["é"]`, wantJSON: `"é"`},
		"template key":   {addr: a.Instance(cty.StringVal("${x}")), want: `step.a["${x}"]`, wantJSON: `"${x}"`},
		"empty key":      {addr: a.Instance(cty.StringVal("")), want: `step.a[""]`, wantJSON: `""`},
		"number key":     {addr: a.Instance(cty.NumberIntVal(12)), want: "step.a[12]", wantJSON: "12"},
		"fraction key":   {addr: a.Instance(cty.NumberFloatVal(1.5)), want: "step.a[1.5]", wantJSON: "1.5"},
		"big number key": {addr: a.Instance(cty.NumberIntVal(1 << 40)), want: "step.a[1099511627776]", wantJSON: "1099511627776"},
		"in a module": {
			addr: StepInstance{Step: Step{Module: Module{{Name: "m", Key: cty.StringVal("k")}}, Name: "b"}, Key: cty.NumberIntVal(0)},
			want: `module.m["k"].step.b[0]`, wantJSON: "0",
		},
		"in nested modules": {
			addr: StepInstance{Step: Step{Module: Module{{Name: "m"}, {Name: "n", Key: cty.NumberIntVal(2)}}, Name: "b"}},
			want: `module.m.module.n[2].step.b`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tt.addr.String(); got != tt.want {
				t.Errorf("wrong address\ngot:  %s\nwant: %s", got, tt.want)
			}
			if got := string(tt.addr.KeyJSON()); got != tt.wantJSON {
				t.Errorf("wrong key JSON\ngot:  %s\nwant: %s", got, tt.wantJSON)
			}
		})
	}
}

func TestNodeString(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		addr Node
		want string
	}{
		"step":               {addr: Step{Name: "a"}.Node(), want: "step.a"},
		"local":              {addr: Node{Kind: KindLocal, Name: "x"}, want: "local.x"},
		"output":             {addr: Node{Kind: KindOutput, Name: "y"}, want: "output.y"},
		"check":              {addr: Node{Kind: KindCheck, Name: "z"}, want: "check.z"},
		"output in a module": {addr: Node{Module: Module{{Name: "m", Key: cty.StringVal("k")}}, Kind: KindOutput, Name: "y"}, want: `module.m["k"].output.y`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tt.addr.String(); got != tt.want {
				t.Errorf("wrong address\ngot:  %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	for _, k := range []Kind{KindStep, KindLocal, KindOutput, KindCheck, KindVar} {
		if got := ParseKind(k.String()); got != k {
			t.Errorf("ParseKind(%q) = %v, want %v", k.String(), got, k)
		}
	}
	if got := ParseKind("model"); got != InvalidKind {
		t.Errorf("ParseKind(%q) = %v, want %v", "model", got, InvalidKind)
	}
	if got := InvalidKind.String(); got != "invalid" {
		t.Errorf("InvalidKind.String() = %q, want %q", got, "invalid")
	}
}

func TestSampleAddresses(t *testing.T) {
	inst := Step{Name: "grade"}.Instance(cty.StringVal("a#1"))
	if got := inst.String(); got != `step.grade["a#1"]` {
		t.Fatalf("sample 0: %s", got)
	}
	inst.Sample = 2
	if got := inst.String(); got != `step.grade["a#1"]#2` {
		t.Fatalf("sample 2: %s", got)
	}
	if inst.Equal(inst.Instance()) || !inst.Instance().Equal(Step{Name: "grade"}.Instance(cty.StringVal("a#1"))) {
		t.Fatal("a sample is not its instance; Instance drops the sample")
	}
	for addr, want := range map[string]struct {
		inst string
		n    int
	}{
		`step.grade["a#1"]#2`: {`step.grade["a#1"]`, 2},
		`step.grade["a#1"]`:   {`step.grade["a#1"]`, 0},
		`step.grade#3`:        {`step.grade`, 3},
		`step.grade[0]#10`:    {`step.grade[0]`, 10},
		`step.grade#0`:        {`step.grade#0`, 0},
		`step.grade#01`:       {`step.grade#01`, 0},
	} {
		i, n := SplitSample(addr)
		if i != want.inst || n != want.n {
			t.Errorf("SplitSample(%s) = %s, %d; want %s, %d", addr, i, n, want.inst, want.n)
		}
	}
}
