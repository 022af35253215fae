package planner

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
)

// Catalog is a gateway's model catalog (GET /models), fetched by the
// planner's caller. Strict catalogs (the LLM Gateway's) make an unknown
// model id an error; others, from servers whose lists are informal, only a
// warning. A model entry without supported_parameters is not checked for
// them.
type Catalog struct {
	Models map[string]gateway.Model
	Strict bool

	mu     sync.Mutex
	prices map[[2]string]tierPrice // by model id and tier, as read from the entries' pricing
}

// tierPrice is an entry's price in one tier, or none.
type tierPrice struct {
	price gateway.Price
	ok    bool
}

// price returns the price of model id in tier, reading each entry's
// pricing once; safe for concurrent use.
func (c *Catalog) price(id, tier string) (gateway.Price, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := [2]string{id, tier}
	if p, ok := c.prices[k]; ok {
		return p.price, p.ok
	}
	var p tierPrice
	if entry, found := c.Models[id]; found {
		p.price, p.ok = entry.Price(tier)
	}
	if c.prices == nil {
		c.prices = map[[2]string]tierPrice{}
	}
	c.prices[k] = p
	return p.price, p.ok
}

// NewCatalog indexes a model list.
func NewCatalog(models []gateway.Model, strict bool) *Catalog {
	c := &Catalog{Models: map[string]gateway.Model{}, Strict: strict}
	for _, m := range models {
		c.Models[m.ID] = m
	}
	return c
}

// feature is a request parameter a step uses, and where it is set.
type feature struct {
	param string
	expr  hcl.Expression // nil: at rng
	rng   *hcl.Range
}

// features lists the gated parameters a rendered request uses.
func (r *Rendered) features() []feature {
	var out []feature
	if r.Stream != nil && *r.Stream {
		expr := r.Instance.Step.Stream
		if expr == nil {
			expr = r.Model.StreamExpr
		}
		out = append(out, feature{param: "stream", expr: expr})
	}
	s := r.Instance.Step
	if len(r.Tools) > 0 {
		out = append(out, feature{param: "tools", rng: s.Tools[0].SourceRange.Ptr()})
	}
	if s.ToolChoice != nil {
		out = append(out, feature{param: "tool_choice", rng: s.ToolChoice.Range.Ptr()})
	}
	if r.Schema != nil {
		out = append(out, feature{param: "response_format", rng: s.Schema.SourceRange.Ptr()})
	}
	return out
}

// checkCatalog checks every change that will call a model against the
// catalogs: the model ids exist, support what the step uses, and fit
// max_tokens and a known prompt within the context length.
func (p *Plan) checkCatalog(catalogs map[*config.Gateway]*Catalog) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range p.Changes {
		if c.Action == Keep || c.Action == Drop || c.Rendered == nil {
			continue
		}
		models := []*Model{c.Rendered.Model}
		if f := c.Rendered.Fallback; f != nil {
			models = f.Models
		}
		for _, m := range models {
			if cat := catalogs[m.Gateway]; cat != nil {
				diags = append(diags, c.Rendered.checkModel(c.Address, m, cat)...)
			}
		}
	}
	return diags
}

func (r *Rendered) checkModel(addr string, m *Model, cat *Catalog) hcl.Diagnostics {
	subject := r.Instance.Step.Model.Expr.Range().Ptr() // where the instance's model is named or chosen
	entry, ok := cat.Models[m.ID]
	if !ok {
		sev, what := hcl.DiagWarning, "may not be"
		if cat.Strict {
			sev, what = hcl.DiagError, "is not"
		}
		detail := fmt.Sprintf("Model %q (model.%s, used by %s) %s served by the gateway: its model catalog does not list it.", m.ID, m.Name, addr, what)
		if s := modelSuggestion(m.ID, slices.Sorted(maps.Keys(cat.Models))); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		return hcl.Diagnostics{{Severity: sev, Summary: "Unknown model", Detail: detail, Subject: subject}}
	}
	var diags hcl.Diagnostics
	if len(entry.SupportedParameters) > 0 {
		for _, f := range r.features() {
			if slices.Contains(entry.SupportedParameters, f.param) {
				continue
			}
			s := subject
			switch {
			case f.expr != nil:
				s = f.expr.Range().Ptr()
			case f.rng != nil:
				s = f.rng
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported parameter for model",
				Detail: fmt.Sprintf("Model %q (model.%s, used by %s) does not support %s, according to the gateway's model catalog; the gateway would reject the request. Choose a model that lists %s, or stop using it here.",
					m.ID, m.Name, addr, f.param, f.param),
				Subject: s,
			})
		}
	}
	return append(diags, r.checkContext(addr, m, entry, subject)...)
}

// checkContext reports max_tokens at or over the context length, and a known
// prompt that cannot fit (estimated generously at four characters a token).
func (r *Rendered) checkContext(addr string, m *Model, entry gateway.Model, subject *hcl.Range) hcl.Diagnostics {
	limit := entry.ContextLength
	if limit <= 0 {
		return nil
	}
	if r.MaxTokens != nil && *r.MaxTokens >= limit {
		switch {
		case r.step.maxTokens != nil:
			subject = r.Instance.Step.MaxTokens.Range().Ptr()
		case m.MaxTokensExpr != nil:
			subject = m.MaxTokensExpr.Range().Ptr()
		}
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "max_tokens exceeds the context length",
			Detail:   fmt.Sprintf("%s asks model %q for max_tokens = %d, but its context length is %d tokens.", addr, m.ID, *r.MaxTokens, limit),
			Subject:  subject,
		}}
	}
	chars := 0
	for _, msg := range r.Messages {
		for _, s := range msg.Display {
			chars += len(s.Text)
		}
	}
	if tokens := chars / 4; tokens > limit {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Prompt exceeds the context length",
			Detail: fmt.Sprintf("The messages of %s come to about %d tokens (%d characters), more than model %q takes (%s tokens).",
				addr, tokens, chars, m.ID, strings.TrimSpace(fmt.Sprint(limit))),
			Subject: subject,
		}}
	}
	return nil
}

// modelSuggestion returns a close catalog id: a small edit away, or the
// dated version of an undated id ("claude-haiku-4-5" for
// "claude-haiku-4-5-20251001").
func modelSuggestion(id string, ids []string) string {
	if s := config.NameSuggestion(id, ids); s != "" {
		return s
	}
	for _, c := range ids {
		if strings.HasPrefix(c, id+"-") {
			return c
		}
	}
	return ""
}
