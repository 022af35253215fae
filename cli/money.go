package cli

import (
	"math"
	"strconv"
	"strings"

	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// usd spells an amount in US dollars for people: two decimals from $1 up,
// with thousands separators ($1,234.57); below that three significant
// digits, so that a small amount never reads as nothing ($0.00123,
// $0.50). Zero is $0.00; a negative amount starts with a minus sign.
func usd(x float64) string {
	if x < 0 {
		return "-" + usd(-x)
	}
	if x >= 1 || x == 0 {
		return "$" + numbers.Sprintf("%.2f", x)
	}
	decimals := max(2-int(math.Floor(math.Log10(x))), 2)
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if r, _ := strconv.ParseFloat(s, 64); r >= 1 { // rounded up to a dollar
		return "$1.00"
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	frac += strings.Repeat("0", max(2-len(frac), 0))
	return "$" + whole + "." + frac
}

// usdDelta spells a change of an amount: +$0.0012, -$1.50, or $0.00.
func usdDelta(d float64) string {
	if d > 0 {
		return "+" + usd(d)
	}
	return usd(d)
}

// priceText is a price as people read it: "$1.10/$5.50 per million tokens"
// (input/output), and its cache prices when it has them.
func priceText(p state.Price) string {
	s := perMillion(p.Input) + "/" + perMillion(p.Output) + " per million tokens"
	var cache []string
	if p.CacheRead != 0 {
		cache = append(cache, perMillion(p.CacheRead)+" cache read")
	}
	if p.CacheWrite != 0 {
		cache = append(cache, perMillion(p.CacheWrite)+" cache write")
	}
	if p.CacheWrite1h != 0 {
		cache = append(cache, perMillion(p.CacheWrite1h)+" 1h cache write")
	}
	if len(cache) > 0 {
		s += " (" + strings.Join(cache, ", ") + ")"
	}
	return s
}

// perMillion is a price per million tokens: two decimals at least, more
// where the price has them ($0.125), at most six (a price computed from a
// tier, such as 1.1 / 10, may carry float noise).
func perMillion(x float64) string {
	s := strconv.FormatFloat(x, 'f', 6, 64)
	whole, frac, _ := strings.Cut(s, ".")
	frac = strings.TrimRight(frac, "0")
	if len(frac) < 2 {
		frac += strings.Repeat("0", 2-len(frac))
	}
	w, err := strconv.Atoi(whole)
	if err != nil {
		return "$" + s
	}
	return "$" + num(w) + "." + frac
}

// spend adds up recorded costs: the priced records' USD, and how many
// were recorded without a price. An offline record cost nothing; it is
// neither.
type spend struct {
	USD      float64
	Priced   int
	Unpriced int
}

// add counts one record.
func (s *spend) add(rec *state.Step) {
	switch {
	case rec.Cost != nil:
		s.USD += rec.Cost.USD
		s.Priced++
	case !rec.Offline:
		s.Unpriced++
	}
}

// text spells the total: "$0.0123", "$0.0123 + 2 unpriced", "unpriced"
// when nothing was priced, "$0.00" when nothing was paid for.
func (s spend) text() string {
	switch {
	case s.Unpriced == 0:
		return usd(s.USD)
	case s.Priced == 0:
		return "unpriced"
	}
	return usd(s.USD) + " + " + num(s.Unpriced) + " unpriced"
}

// usdJSON is the total as JSON: the USD of the priced records, null when
// nothing was priced and something was not.
func (s spend) usdJSON() any {
	if s.Priced == 0 && s.Unpriced > 0 {
		return nil
	}
	return planner.RoundUSD(s.USD)
}

// stateSpend is what every record of st cost.
func stateSpend(st *state.State) spend {
	var s spend
	for _, rec := range st.Steps {
		s.add(rec)
	}
	return s
}

// costUSD is what a finished instance cost this run, for JSON events: 0
// when it was re-used or answered offline, null when it has no price.
func costUSD(rec *state.Step, reused bool) any {
	switch {
	case reused || rec.Offline:
		return 0.0
	case rec.Cost != nil:
		return planner.RoundUSD(rec.Cost.USD)
	}
	return nil
}
