package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Gateway defaults, as the README documents them.
const (
	DefaultGatewayURL = "https://llm-gateway.assemblyai.com/v1"
	EUGatewayURL      = "https://llm-gateway.eu.assemblyai.com/v1"
	DefaultAPIKeyEnv  = "ASSEMBLYAI_API_KEY"
	DefaultTimeout    = 120 * time.Second
	DefaultMaxRetries = 4
)

// Gateway is a gateway block: where requests go and how they authenticate.
// Its attributes are literals; the API key itself is never configuration,
// only the name of the environment variable that holds it.
type Gateway struct {
	Name      string // "" for the default gateway
	URL       string // never empty after decoding
	Region    string
	APIKeyEnv string
	// KeyRequired is true when a call needs a key: always on the LLM
	// Gateway ("raw" auth), and elsewhere when api_key_env is set, since
	// local servers often need none.
	KeyRequired bool
	Timeout     time.Duration
	MaxRetries  int
	Auth        string // "raw" or "bearer"

	DeclRange hcl.Range
}

func (g *Gateway) declRange() hcl.Range { return g.DeclRange }

// Address returns the gateway's address: gateway.NAME, or "gateway".
func (g *Gateway) Address() string {
	if g.Name == "" {
		return "gateway"
	}
	return "gateway." + g.Name
}

func defaultGateway(name string) *Gateway {
	return &Gateway{
		Name:        name,
		URL:         DefaultGatewayURL,
		Region:      "us",
		APIKeyEnv:   DefaultAPIKeyEnv,
		Timeout:     DefaultTimeout,
		MaxRetries:  DefaultMaxRetries,
		Auth:        "raw",
		KeyRequired: true,
	}
}

var gatewaySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url"}, {Name: "region"}, {Name: "api_key_env"},
		{Name: "timeout"}, {Name: "max_retries"}, {Name: "auth"},
	},
}

func decodeGatewayBlock(block *hcl.Block) (*Gateway, hcl.Diagnostics) {
	g := defaultGateway("")
	if len(block.Labels) > 0 {
		g.Name = block.Labels[0]
	}
	g.DeclRange = block.DefRange
	content, diags := block.Body.Content(gatewaySchema)
	if len(block.Labels) > 1 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Extraneous label for gateway",
			Detail:   "A gateway block takes at most one label, its name: gateway \"local\" { ... }.",
			Subject:  block.LabelRanges[1].Ptr(),
		})
	}
	attrs := content.Attributes
	diags = append(diags, decodeLiteral(attrs["region"], &g.Region)...)
	switch g.Region {
	case "us":
	case "eu":
		g.URL = EUGatewayURL
	default:
		diags = append(diags, attrError(attrs["region"], "Invalid gateway region",
			fmt.Sprintf("The region must be \"us\" or \"eu\", not %q.", g.Region)))
	}
	diags = append(diags, decodeLiteral(attrs["url"], &g.URL)...)
	if u, err := url.Parse(g.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		diags = append(diags, attrError(attrs["url"], "Invalid gateway URL",
			fmt.Sprintf("%q is not an http or https URL, such as %q.", g.URL, DefaultGatewayURL)))
	}
	g.Auth = defaultAuth(g.URL)
	diags = append(diags, decodeLiteral(attrs["api_key_env"], &g.APIKeyEnv)...)
	_, keyEnvSet := attrs["api_key_env"]
	diags = append(diags, decodeLiteral(attrs["max_retries"], &g.MaxRetries)...)
	if g.MaxRetries < 0 {
		diags = append(diags, attrError(attrs["max_retries"], "Invalid max_retries", "max_retries must not be negative."))
	}
	diags = append(diags, decodeDuration(attrs["timeout"], &g.Timeout)...)
	diags = append(diags, decodeLiteral(attrs["auth"], &g.Auth)...)
	if g.Auth != "raw" && g.Auth != "bearer" {
		diags = append(diags, attrError(attrs["auth"], "Invalid gateway auth",
			fmt.Sprintf("auth must be \"raw\" (the LLM Gateway) or \"bearer\" (other OpenAI-compatible servers), not %q.", g.Auth)))
	}
	g.KeyRequired = g.Auth == "raw" || keyEnvSet
	return g, diags
}

// defaultAuth is "raw" for the LLM Gateway's hosts and "bearer" elsewhere.
func defaultAuth(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err == nil && strings.HasSuffix(u.Hostname(), "assemblyai.com") {
		return "raw"
	}
	return "bearer"
}

// labelledGateways returns the gateway blocks with one label or more of a
// native-syntax body; the root schema only takes unlabelled ones.
func labelledGateways(body hcl.Body) []*hcl.Block {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var blocks []*hcl.Block
	for _, b := range sb.Blocks {
		if b.Type == blockGateway && len(b.Labels) > 0 {
			blocks = append(blocks, b.AsHCLBlock())
		}
	}
	return blocks
}

// dropLabelledGatewayDiags removes the root schema's complaint about labels
// on gateway blocks, which labelledGateways picks out instead.
func dropLabelledGatewayDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Summary == "Extraneous label for gateway" {
			continue
		}
		out = append(out, d)
	}
	return out
}

// decodeLiteral evaluates a literal attribute (no references) into target.
// A nil attribute leaves target as it is.
func decodeLiteral(attr *hcl.Attribute, target any) hcl.Diagnostics {
	if attr == nil {
		return nil
	}
	val, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return diags
	}
	if val.IsNull() {
		return nil
	}
	if err := gocty.FromCtyValue(val, target); err != nil {
		return hcl.Diagnostics{attrError(attr, "Invalid value", fmt.Sprintf("Unsuitable value for %s: %s.", attr.Name, err))}
	}
	return nil
}

func decodeDuration(attr *hcl.Attribute, target *time.Duration) hcl.Diagnostics {
	var s string
	if attr == nil {
		return nil
	}
	if diags := decodeLiteral(attr, &s); diags.HasErrors() {
		return diags
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return hcl.Diagnostics{attrError(attr, "Invalid duration",
			fmt.Sprintf("%q is not a positive duration such as \"30s\" or \"2m\".", s))}
	}
	*target = d
	return nil
}

func attrError(attr *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
	if attr != nil {
		d.Subject = attr.Expr.Range().Ptr()
	}
	return d
}
