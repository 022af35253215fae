package planner

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestSampleHash(t *testing.T) {
	t.Parallel()
	const h = "sha256:00ff"
	if got := SampleHash(h, 0); got != h {
		t.Errorf("sample 0 is the request's own identity, got %s", got)
	}
	seen := map[string]bool{h: true}
	for n := 1; n < 50; n++ {
		got := SampleHash(h, n)
		if seen[got] || !strings.HasPrefix(got, "sha256:") || len(got) != len("sha256:")+64 {
			t.Fatalf("sample %d: identity %s repeats one or is malformed", n, got)
		}
		seen[got] = true
		if SampleHash("sha256:00fe", n) == got {
			t.Fatalf("sample %d of two requests share an identity", n)
		}
	}
}

func TestRepeatValue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		v      cty.Value
		n      int
		detail string
	}{
		{cty.NumberIntVal(3), 3, ""},
		{cty.StringVal("2"), 2, ""},
		{cty.NumberIntVal(0), 0, "not 0"},
		{cty.NumberFloatVal(1.5), 0, "not 1.5"},
		{cty.NumberIntVal(MaxRepeat + 1), 0, "the most is 1000"},
		{cty.UnknownVal(cty.Number), 0, "has not run yet"},
		{cty.NullVal(cty.Number), 0, "must not be null"},
		{cty.NumberIntVal(2).Mark(Sensitive), 0, "Sensitive values"},
		{cty.StringVal("x"), 0, "not a string"},
	} {
		n, detail := repeatValue(c.v)
		if n != c.n || !strings.Contains(detail, c.detail) || (c.detail == "") != (detail == "") {
			t.Errorf("repeatValue(%#v) = %d, %q; want %d and a detail with %q", c.v, n, detail, c.n, c.detail)
		}
	}
}
