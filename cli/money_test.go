package cli

import (
	"testing"

	"github.com/promptform/promptform/state"
)

func TestUSD(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{
		0:           "$0.00",
		0.00123456:  "$0.00123",
		0.000000042: "$0.000000042",
		0.5:         "$0.50",
		0.123:       "$0.123",
		0.0999996:   "$0.10",
		0.9996:      "$1.00",
		1:           "$1.00",
		1.005:       "$1.00",
		42.424:      "$42.42",
		1234567.891: "$1,234,567.89",
		-0.0042:     "-$0.0042",
	} {
		if got := usd(x); got != want {
			t.Errorf("usd(%g) = %q, want %q", x, got, want)
		}
	}
	if got := usdDelta(0.0012); got != "+$0.0012" {
		t.Errorf("usdDelta(0.0012) = %q, want +$0.0012", got)
	}
}

func TestPriceText(t *testing.T) {
	t.Parallel()
	tier := 1.1
	for want, p := range map[string]state.Price{
		"$1.10/$5.50 per million tokens":                                        {Input: 1.1, Output: 5.5},
		"$0.125/$1,000.00 per million tokens":                                   {Input: 0.125, Output: 1000},
		"$0.11/$1.375 per million tokens":                                       {Input: tier / 10, Output: tier * 1.25}, // 0.11000000000000001, 1.3750000000000002
		"$3.00/$15.00 per million tokens ($0.30 cache read, $3.75 cache write)": {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
	} {
		if got := priceText(p); got != want {
			t.Errorf("priceText(%+v) = %q, want %q", p, got, want)
		}
	}
}

func TestSpend(t *testing.T) {
	t.Parallel()
	priced := &state.Step{Cost: &state.Cost{USD: 0.25}}
	unpriced := &state.Step{}
	offline := &state.Step{Offline: true}
	tests := map[string]struct {
		recs     []*state.Step
		wantText string
		wantJSON any
	}{
		"nothing":      {nil, "$0.00", 0.0},
		"priced":       {[]*state.Step{priced, priced, offline}, "$0.50", 0.5},
		"mixed":        {[]*state.Step{priced, unpriced, unpriced}, "$0.25 + 2 unpriced", 0.25},
		"unpriced":     {[]*state.Step{unpriced}, "unpriced", nil},
		"offline only": {[]*state.Step{offline}, "$0.00", 0.0},
	}
	for name, test := range tests {
		var s spend
		for _, r := range test.recs {
			s.add(r)
		}
		if got := s.text(); got != test.wantText {
			t.Errorf("%s: text %q, want %q", name, got, test.wantText)
		}
		if got := s.usdJSON(); got != test.wantJSON {
			t.Errorf("%s: json %v, want %v", name, got, test.wantJSON)
		}
	}
}
