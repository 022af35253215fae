package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Fallback modes.
const (
	FallbackGateway = "gateway" // one request with fallbacks[]; the gateway tries them
	FallbackClient  = "client"  // promptform tries each model itself
)

// MaxFallbackDepth is the gateway's limit on fallback_config.depth.
const MaxFallbackDepth = 2

// Fallback is a fallback block: models tried in order.
type Fallback struct {
	Name   string
	Models []Ref
	Retry  *bool
	Depth  *int
	Mode   string

	DeclRange hcl.Range
	NameRange hcl.Range
}

func (f *Fallback) declRange() hcl.Range { return f.DeclRange }

// Address returns fallback.NAME.
func (f *Fallback) Address() string { return "fallback." + f.Name }

var fallbackSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "models", Required: true}, {Name: "retry"}, {Name: "depth"}, {Name: "mode"},
	},
}

func decodeFallbackBlock(block *hcl.Block) (*Fallback, hcl.Diagnostics) {
	f := &Fallback{Name: block.Labels[0], Mode: FallbackGateway, DeclRange: block.DefRange, NameRange: block.LabelRanges[0]}
	diags := checkName(block, "fallback")
	content, moreDiags := block.Body.Content(fallbackSchema)
	diags = append(diags, moreDiags...)
	attrs := content.Attributes
	if attr, ok := attrs["models"]; ok {
		refs, d := decodeNameRefList(attr.Expr, "model")
		diags = append(diags, d...)
		f.Models = refs
		if len(refs) < 2 && !d.HasErrors() {
			diags = append(diags, attrError(attr, "Too few fallback models",
				"A fallback chain names at least two models: the first, then those that take over."))
		}
	}
	if attr, ok := attrs["retry"]; ok {
		var b bool
		diags = append(diags, decodeLiteral(attr, &b)...)
		f.Retry = &b
	}
	if attr, ok := attrs["depth"]; ok {
		var n int
		diags = append(diags, decodeLiteral(attr, &n)...)
		if n < 1 || n > MaxFallbackDepth {
			diags = append(diags, attrError(attr, "Invalid fallback depth",
				fmt.Sprintf("depth must be 1 or 2: the gateway chains at most %d fallbacks, not %d.", MaxFallbackDepth, n)))
		}
		f.Depth = &n
	}
	diags = append(diags, decodeLiteral(attrs["mode"], &f.Mode)...)
	if f.Mode != FallbackGateway && f.Mode != FallbackClient {
		diags = append(diags, attrError(attrs["mode"], "Invalid fallback mode",
			fmt.Sprintf("mode must be %q (one request with fallbacks[]) or %q (promptform tries each model), not %q.", FallbackGateway, FallbackClient, f.Mode)))
	}
	return f, diags
}
