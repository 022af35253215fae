package cli

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
)

// clients returns the chat client of each model: the offline model, or one
// gateway client per gateway block. Every gateway that a step about to run
// needs must have its key; a missing one is an error before anything runs.
func (m *Meta) clients(p *planner.Plan, offline, replay bool, limits *executor.Limits) (func(*planner.Model) executor.ChatClient, hcl.Diagnostics) {
	switch {
	case offline:
		return func(*planner.Model) executor.ChatClient { return gateway.Offline{} }, nil
	case replay:
		return func(*planner.Model) executor.ChatClient { return executor.Replay{} }, nil
	}
	logger, err := m.debugLog()
	if err != nil {
		return nil, hcl.Diagnostics{logDiag(err)}
	}
	var diags hcl.Diagnostics
	byGateway := map[*config.Gateway]*gateway.Client{}
	missing := map[string]bool{}
	for _, c := range p.Changes {
		if c.Action == planner.Keep || c.Action == planner.Drop {
			continue
		}
		g := c.Rendered.Model.Gateway
		if _, done := byGateway[g]; done {
			continue
		}
		key := strings.TrimSpace(m.Getenv(g.APIKeyEnv))
		cfg := m.clientConfig(g, key, limits, logger)
		if key == "" && g.KeyRequired && !missing[g.APIKeyEnv] {
			missing[g.APIKeyEnv] = true
			diags = append(diags, missingKey(g, c.Rendered.Model, gateway.RedactURL(cfg.BaseURL)))
		}
		byGateway[g] = gateway.New(cfg)
	}
	var mu sync.Mutex
	return func(model *planner.Model) executor.ChatClient {
		mu.Lock()
		defer mu.Unlock()
		c, ok := byGateway[model.Gateway]
		if !ok {
			c = gateway.New(m.clientConfig(model.Gateway, m.Getenv(model.Gateway.APIKeyEnv), limits, logger))
			byGateway[model.Gateway] = c
		}
		return c
	}, diags
}

// clientConfig is the client configuration of gateway g: key is the API key
// ("" for the catalog, which needs none), limits (may be nil) observes the
// rate limits, and logger (may be nil) is the debug log.
func (m *Meta) clientConfig(g *config.Gateway, key string, limits *executor.Limits, logger *slog.Logger) gateway.Config {
	cfg := gateway.Config{
		BaseURL:    g.URL,
		APIKey:     key,
		Auth:       g.Auth,
		Timeout:    g.Timeout,
		MaxRetries: g.MaxRetries,
		UserAgent:  "promptform/" + Version,
		Logger:     logger,
	}
	if u := m.Getenv(EnvGatewayURL); u != "" {
		cfg.BaseURL = u
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = -1 // max_retries = 0 means no retries
	}
	if limits != nil {
		cfg.OnRateLimit = limits.Observe
	}
	return cfg
}

func missingKey(g *config.Gateway, model *planner.Model, url string) *hcl.Diagnostic {
	var subject *hcl.Range
	if g.DeclRange.Filename != "" {
		subject = g.DeclRange.Ptr()
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Missing API key",
		Detail: fmt.Sprintf("The environment variable %s is not set, and %s (model.%s) needs it to call %s. "+
			"Set it to your API key (export %s=...), or run with -offline to try the pipeline without a model.",
			g.APIKeyEnv, g.Address(), model.Name, url, g.APIKeyEnv),
		Subject: subject,
	}
}
