package gateway

import (
	"encoding/json"
	"math"
	"testing"
)

func TestModelPrice(t *testing.T) {
	m := Model{ID: "x", Pricing: json.RawMessage(`{
		"global": {"prompt": 3, "completions": 15, "input_cache_read": 0.3},
		"us": {"prompt": 3.3, "completions": 16.5},
		"eu": {"prompt": "3.3", "completions": 16.5},
		"regional_increase_percent": 10}`)}
	if p, ok := m.Price(TierGlobal); !ok || p != (Price{Input: 3, Output: 15, CacheRead: 0.3}) {
		t.Errorf("global = %+v, %v", p, ok)
	}
	if p, ok := m.Price(TierUS); !ok || p != (Price{Input: 3.3, Output: 16.5}) {
		t.Errorf("us = %+v, %v", p, ok)
	}
	// A price of an unknown shape is unpriced, not guessed.
	if p, ok := m.Price(TierEU); ok {
		t.Errorf("eu with a string price = %+v; want unpriced", p)
	}
	for _, raw := range []string{``, `null`, `[]`, `{"global": 3}`, `{"global": {"prompt": 3}}`, `{"global": {"prompt": -1, "completions": 2}}`} {
		if p, ok := (Model{Pricing: json.RawMessage(raw)}).Price(TierGlobal); ok {
			t.Errorf("pricing %s = %+v; want unpriced", raw, p)
		}
	}
}

func TestPriceCost(t *testing.T) {
	p := Price{Input: 3, Output: 15, CacheRead: 0.3}
	u := Usage{InputTokens: 1_000_000, OutputTokens: 100_000,
		PromptTokensDetails: &PromptTokensDetails{CachedTokens: 500_000, CacheCreation: &CacheCreation{Ephemeral5mInputTokens: 100_000}}}
	// 400k plain input at 3, 500k read at 0.3, 100k written at the input
	// price (the tier names none), 100k output at 15.
	want := (400_000*3.0 + 500_000*0.3 + 100_000*3.0 + 100_000*15.0) / 1e6
	if got := p.Cost(u); math.Abs(got-want) > 1e-9 {
		t.Errorf("Cost = %v, want %v", got, want)
	}
}

func TestPriceCostHourWrites(t *testing.T) {
	m := Model{Pricing: json.RawMessage(`{"global": {"prompt": 3, "completions": 15, "input_cache_write": 3.75, "input_cache_write_1h": 6}}`)}
	p, ok := m.Price(TierGlobal)
	if !ok || p.CacheWrite1h != 6 {
		t.Fatalf("price = %+v, %v; want the 1h write price read", p, ok)
	}
	u := Usage{InputTokens: 300_000, PromptTokensDetails: &PromptTokensDetails{
		CacheCreation: &CacheCreation{Ephemeral5mInputTokens: 100_000, Ephemeral1hInputTokens: 100_000}}}
	want := (100_000*3.0 + 100_000*3.75 + 100_000*6.0) / 1e6
	if got := p.Cost(u); math.Abs(got-want) > 1e-9 {
		t.Errorf("Cost = %v, want %v: writes kept an hour at their own price", got, want)
	}
}
