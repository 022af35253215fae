package planner

import (
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
)

// PriceOf returns what a request to model m costs per token, and false
// when it is unpriced; region is the request's model_region ("" when it
// sets none). A model block's price wins; otherwise the gateway's catalog
// entry for the model id, in the tier the request is billed at:
// model_region "global" is the global tier, anything else the gateway's
// region tier ("us" or "eu") where the entry has one, else the global tier.
func (p *Plan) PriceOf(m *Model, region string) (state.Price, bool) {
	if m == nil {
		return state.Price{}, false
	}
	if m.Price != nil {
		return statePrice(*m.Price, m.Address()), true
	}
	return p.catalogPrice(m.Gateway, m.ID, region)
}

// PriceOfServed returns the price of an answer that model id served for a
// request of model m with params: m's own price when it served it; else,
// as when a gateway-mode fallback chain moved on, the price of a model
// block on the same gateway with that id, or its catalog price.
func (p *Plan) PriceOfServed(m *Model, id, region string) (state.Price, bool) {
	if m == nil || id == "" || id == m.ID {
		return p.PriceOf(m, region)
	}
	for _, other := range p.Models {
		if other.ID == id && other.Gateway == m.Gateway && other.Price != nil {
			return statePrice(*other.Price, other.Address()), true
		}
	}
	return p.catalogPrice(m.Gateway, id, region)
}

func (p *Plan) catalogPrice(gw *config.Gateway, id, region string) (state.Price, bool) {
	cat := p.Catalogs[gw]
	if cat == nil {
		return state.Price{}, false
	}
	tier := gateway.TierGlobal
	if region != gateway.TierGlobal {
		if gw != nil && gw.Region != "" {
			if price, ok := cat.price(id, gw.Region); ok {
				return statePrice(price, "catalog ("+gw.Region+")"), true
			}
		}
	}
	price, ok := cat.price(id, tier)
	if !ok {
		return state.Price{}, false
	}
	return statePrice(price, "catalog ("+tier+")"), true
}

// MaxOutputTokens is the most output tokens a request to model m may be
// answered with: its max_tokens, else the catalog's
// top_provider.max_completion_tokens; 0 when neither bounds it.
func (p *Plan) MaxOutputTokens(m *Model, maxTokens *int) int {
	if maxTokens != nil {
		return *maxTokens
	}
	if m == nil {
		return 0
	}
	if cat := p.Catalogs[m.Gateway]; cat != nil {
		if entry, ok := cat.Models[m.ID]; ok && entry.TopProvider != nil {
			return entry.TopProvider.MaxCompletionTokens
		}
	}
	return 0
}

// Address returns model.NAME.
func (m *Model) Address() string { return m.NS + "model." + m.Name }

// Key is the model's key in the plan's models, and its name in model
// values: its name, after the prefix of the module that declares it.
func (m *Model) Key() string { return m.NS + m.Name }

func statePrice(p gateway.Price, source string) state.Price {
	return state.Price{Input: p.Input, Output: p.Output, CacheRead: p.CacheRead, CacheWrite: p.CacheWrite, CacheWrite1h: p.CacheWrite1h, Source: source}
}

// GatewayPrice is a recorded price as the gateway package computes with.
func GatewayPrice(p state.Price) gateway.Price {
	return gateway.Price{Input: p.Input, Output: p.Output, CacheRead: p.CacheRead, CacheWrite: p.CacheWrite, CacheWrite1h: p.CacheWrite1h}
}

// CostOf is the cost of a recorded usage at price, in USD.
func CostOf(u state.Usage, p state.Price) float64 {
	return GatewayPrice(p).TokensCost(u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens, u.CacheWrite1hTokens)
}

// RegionParam is the request field that chooses a catalog price tier.
const RegionParam = "model_region"

// ModelRegion returns the model_region that params send, "" when none (or
// one not known or not a string); a sensitive mark does not hide the tier.
func ModelRegion(params map[string]cty.Value) string {
	v, ok := params[RegionParam]
	if !ok {
		return ""
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return ""
	}
	return v.AsString()
}
