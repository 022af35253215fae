package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
)

// Model is one entry of the model catalog (GET {base}/models). The catalog
// changes often; never hard-code it. Fields whose shape is not documented
// are kept as raw JSON.
type Model struct {
	ID                  string          `json:"id"`
	Name                string          `json:"name,omitempty"`
	Description         string          `json:"description,omitempty"`
	Creator             string          `json:"creator,omitempty"`
	ContextLength       int             `json:"context_length,omitempty"`
	SupportedParameters []string        `json:"supported_parameters,omitempty"`
	DefaultParameters   json.RawMessage `json:"default_parameters,omitempty"`
	TopProvider         *TopProvider    `json:"top_provider,omitempty"`
	Pricing             json.RawMessage `json:"pricing,omitempty"`
	RetirementDate      int64           `json:"retirement_date,omitempty"` // Unix seconds
	AvailableRegions    []string        `json:"available_regions,omitempty"`
}

// TopProvider is a catalog entry's top_provider.
type TopProvider struct {
	MaxCompletionTokens int `json:"max_completion_tokens,omitempty"`
}

// Supports reports whether the model lists param (a request field name such
// as "tools", "tool_choice", "response_format" or "stream") among its
// supported parameters. The gateway rejects any parameter a model does not
// list.
func (m Model) Supports(param string) bool {
	return slices.Contains(m.SupportedParameters, param)
}

// Models fetches the model catalog from GET {BaseURL}/models, retrying
// transient failures like Chat. The catalog needs no key, and none is ever
// sent for it: the request carries no Authorization header, whatever the
// Config says. A 2xx body that holds an error instead of a list is an
// *APIError. The result is never nil when err is nil.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	var list struct {
		Data []Model `json:"data"`
	}
	x := exchange{method: http.MethodGet, path: modelsPath}
	_, err := c.retry(ctx, x, func(ctx context.Context, x exchange) error {
		a, err := c.do(ctx, x)
		if err != nil {
			return err
		}
		if apiErr := c.errorAnswer(a, "data"); apiErr != nil {
			return apiErr
		}
		return c.decodeBody(a.status, a.body, &list)
	})
	if err != nil {
		return nil, err
	}
	if list.Data == nil {
		return []Model{}, nil
	}
	return list.Data, nil
}
