package gateway

import (
	"encoding/json"
	"math"
)

// Price is what a model's tokens cost, in USD per million tokens. A zero
// CacheRead or CacheWrite means the tier names none: cached tokens are
// then charged as input. CacheWrite1h is the price of writes kept for an
// hour; zero means they cost CacheWrite.
type Price struct {
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read,omitempty"`
	CacheWrite   float64 `json:"cache_write,omitempty"`
	CacheWrite1h float64 `json:"cache_write_1h,omitempty"`
}

// Cost is the price of usage in USD. Cached input tokens (read from or
// written to the prompt cache) are counted within InputTokens, as the
// OpenAI convention has it, and charged at their own price where the
// tier has one.
func (p Price) Cost(u Usage) float64 {
	read, write, write1h := u.CacheTokens()
	return p.TokensCost(u.InputTokens, u.OutputTokens, read, write, write1h)
}

// TokensCost is the price in USD of input and output tokens, of which
// cacheRead and cacheWrite input tokens went through the prompt cache,
// cacheWrite1h of the writes kept for an hour.
func (p Price) TokensCost(input, output, cacheRead, cacheWrite, cacheWrite1h int) float64 {
	readPrice, writePrice, write1hPrice := p.CacheRead, p.CacheWrite, p.CacheWrite1h
	if readPrice == 0 {
		readPrice = p.Input
	}
	if writePrice == 0 {
		writePrice = p.Input
	}
	if write1hPrice == 0 {
		write1hPrice = writePrice
	}
	cacheWrite1h = min(cacheWrite1h, cacheWrite)
	plain := max(input-cacheRead-cacheWrite, 0)
	usd := float64(plain)*p.Input + float64(cacheRead)*readPrice + float64(cacheWrite-cacheWrite1h)*writePrice +
		float64(cacheWrite1h)*write1hPrice + float64(output)*p.Output
	return usd / 1e6
}

// pricingTier is one tier of a catalog entry's pricing, as the gateway
// serves it: USD per million tokens.
type pricingTier struct {
	Prompt          *float64 `json:"prompt"`
	Completions     *float64 `json:"completions"`
	InputCacheRead  *float64 `json:"input_cache_read"`
	InputCacheWrite *float64 `json:"input_cache_write"`
	// InputCacheWrite1h is the price of cache writes kept for an hour.
	InputCacheWrite1h *float64 `json:"input_cache_write_1h"`
}

// The pricing tiers of a catalog entry.
const (
	TierGlobal = "global"
	TierUS     = "us"
	TierEU     = "eu"
)

// Price returns the entry's price in tier ("global", "us" or "eu"), and
// false when the entry has no pricing of a shape this client knows for it:
// a tier that is missing, not an object, or without numeric, finite,
// non-negative prompt and completions prices is unpriced, never guessed.
func (m Model) Price(tier string) (Price, bool) {
	if len(m.Pricing) == 0 {
		return Price{}, false
	}
	var tiers map[string]json.RawMessage
	if json.Unmarshal(m.Pricing, &tiers) != nil {
		return Price{}, false
	}
	raw, ok := tiers[tier]
	if !ok {
		return Price{}, false
	}
	var t pricingTier
	if json.Unmarshal(raw, &t) != nil || !validPrice(t.Prompt) || !validPrice(t.Completions) {
		return Price{}, false
	}
	p := Price{Input: *t.Prompt, Output: *t.Completions}
	if validPrice(t.InputCacheRead) {
		p.CacheRead = *t.InputCacheRead
	}
	if validPrice(t.InputCacheWrite) {
		p.CacheWrite = *t.InputCacheWrite
	}
	if validPrice(t.InputCacheWrite1h) {
		p.CacheWrite1h = *t.InputCacheWrite1h
	}
	return p, true
}

func validPrice(f *float64) bool {
	return f != nil && !math.IsNaN(*f) && !math.IsInf(*f, 0) && *f >= 0
}
