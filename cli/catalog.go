package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// catalogTTL is how long a fetched model catalog is re-used.
const catalogTTL = 10 * time.Minute

// cachedCatalog is a catalog as cached under .promptform/.
type cachedCatalog struct {
	URL       string          `json:"url"` // redacted: no password
	FetchedAt time.Time       `json:"fetched_at"`
	Models    []gateway.Model `json:"models"`
}

// catalogs returns the model catalog of every gateway that a model uses,
// from the cache when it is fresh. With fetch false only the cache is read
// (validate makes no network call). A catalog that cannot be had is a
// warning: the checks against it are skipped. The catalog needs no key, so
// none is read: a configuration cannot make plan send a secret to a URL it
// chooses.
func (m *Meta) catalogs(cfg *config.Config, fetch bool) (map[*config.Gateway]*planner.Catalog, hcl.Diagnostics) {
	out := map[*config.Gateway]*planner.Catalog{}
	var logger *slog.Logger
	if fetch {
		var err error
		if logger, err = m.debugLog(); err != nil {
			return out, hcl.Diagnostics{logDiag(err)}
		}
	}
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Models)) {
		g := cfg.Gateway(cfg.Models[name])
		if _, done := out[g]; done {
			continue
		}
		cfgClient := m.clientConfig(g, "", nil, logger)
		models, err := m.catalog(cfgClient, fetch)
		switch {
		case err != nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Model catalog unavailable",
				Detail: fmt.Sprintf("The model catalog of %s (%s/models) could not be read: %s. Steps on it are not checked against it; run plan -offline to skip the catalog.",
					g.Address(), gateway.RedactURL(cfgClient.BaseURL), err),
			})
			out[g] = nil
		case models != nil:
			out[g] = planner.NewCatalog(models, g.Auth == gateway.AuthRaw)
		default:
			out[g] = nil
		}
	}
	return out, diags
}

// catalog reads one gateway's catalog from the cache or the network; nil
// models and no error when not fetching and nothing is cached.
func (m *Meta) catalog(cfg gateway.Config, fetch bool) ([]gateway.Model, error) {
	sum := sha256.Sum256([]byte(cfg.BaseURL))
	path := filepath.Join(m.Dir, state.Dir, "catalog-"+hex.EncodeToString(sum[:6])+".json")
	var cached cachedCatalog
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &cached) == nil &&
		cached.URL == gateway.RedactURL(cfg.BaseURL) && (!fetch || time.Since(cached.FetchedAt) < catalogTTL) {
		return cached.Models, nil
	}
	if !fetch {
		return nil, nil
	}
	cfg.MaxRetries = 1
	cfg.Timeout = 10 * time.Second
	ctx, cancel := context.WithTimeout(m.ctx, 20*time.Second)
	defer cancel()
	models, err := gateway.New(cfg).Models(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(cachedCatalog{URL: gateway.RedactURL(cfg.BaseURL), FetchedAt: time.Now().UTC(), Models: models})
	if err == nil {
		_ = state.EnsureDir(filepath.Dir(path))   // .promptform/ with its .gitignore
		_ = state.WriteFileAtomic(path, b, 0o644) // a cache: failing to write it costs a fetch next time
	}
	return models, nil
}
