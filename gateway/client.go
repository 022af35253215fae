package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Base URLs of the LLM Gateway.
const (
	DefaultBaseURL = "https://llm-gateway.assemblyai.com/v1"
	EUBaseURL      = "https://llm-gateway.eu.assemblyai.com/v1"
)

// Defaults that New applies to a zero Config field.
const (
	DefaultTimeout    = 120 * time.Second
	DefaultMaxRetries = 4
	DefaultUserAgent  = "promptform"
)

// Auth schemes for Config.Auth.
const (
	AuthRaw    = "raw"
	AuthBearer = "bearer"
)

// maxBodySize bounds how much of a response body the client reads.
const maxBodySize = 32 << 20

// HTTPDoer sends one HTTP request. *http.Client implements it.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Config configures a Client. The zero value of every field means its
// default, so Config{APIKey: key} is a usable configuration.
type Config struct {
	// BaseURL is the API root including /v1. Default DefaultBaseURL; use
	// EUBaseURL for EU data residency. A trailing slash is ignored.
	BaseURL string

	// APIKey is sent in the Authorization header. When empty, no
	// Authorization header is sent at all. It never appears in errors.
	APIKey string

	// Auth is how the key is sent: "raw" (the default, what the LLM Gateway
	// expects) sends "Authorization: <key>"; "bearer" sends
	// "Authorization: Bearer <key>" (other OpenAI-compatible servers).
	Auth string

	// HTTPClient sends the requests. Default: a new *http.Client without a
	// client-wide timeout (the per-attempt Timeout applies instead).
	HTTPClient HTTPDoer

	// Timeout bounds each attempt, reading the body included. Default
	// DefaultTimeout; a negative value means no per-attempt timeout.
	Timeout time.Duration

	// MaxRetries is how many times a transient failure is retried after the
	// first attempt. Default DefaultMaxRetries; a negative value disables
	// retries.
	MaxRetries int

	// UserAgent is sent as the User-Agent header. Default DefaultUserAgent.
	UserAgent string

	// OnRateLimit, when set, is called for every HTTP response that carries
	// any of the headers x-ratelimit-limit, x-ratelimit-remaining,
	// x-ratelimit-reset, x-ratelimit-model, Retry-After or retry-after-ms,
	// or that has status 429: retried attempts, failures and successes
	// alike, streams included. It is called synchronously from the goroutine
	// making the request, after the response headers arrive and before any
	// retry wait, so it must be quick and must not call the Client. When a
	// Client is shared, it may be called concurrently. RateLimit.Model is
	// the request's model id when the response does not name one.
	OnRateLimit func(RateLimit)
}

// DefaultConfig returns the defaults, without an API key.
func DefaultConfig() Config {
	return Config{
		BaseURL:    DefaultBaseURL,
		Auth:       AuthRaw,
		Timeout:    DefaultTimeout,
		MaxRetries: DefaultMaxRetries,
		UserAgent:  DefaultUserAgent,
	}
}

// Client talks to one gateway. A Client is safe for concurrent use; create
// one and share it.
type Client struct {
	cfg     Config
	baseURL string
	maxBody int64

	// Injected by tests; set once in New and never changed.
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(limit time.Duration) time.Duration
	now    func() time.Time
}

// New returns a Client for cfg, with defaults applied to zero fields.
func New(cfg Config) *Client {
	d := DefaultConfig()
	if cfg.BaseURL == "" {
		cfg.BaseURL = d.BaseURL
	}
	if cfg.Auth == "" {
		cfg.Auth = d.Auth
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = d.MaxRetries
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = d.UserAgent
	}
	return &Client{
		cfg:     cfg,
		baseURL: strings.TrimRight(cfg.BaseURL, "/"),
		maxBody: maxBodySize,
		sleep:   sleepCtx,
		jitter:  randomJitter,
		now:     time.Now,
	}
}

// BaseURL returns the API root the client sends to, without a trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

// Chat sends req to POST {BaseURL}/chat/completions and decodes the answer,
// retrying transient failures (see package doc). On success the Response's
// Attempts field says how many attempts were made. On failure the error is
// an *APIError for an HTTP error status, ctx.Err() when ctx ended during a
// backoff wait, or another error naming the method and URL; use Classify to
// sort it. Chat does not stream: a Request with Stream set is refused (use
// ChatStream).
func (c *Client) Chat(ctx context.Context, req *Request) (*Response, error) {
	if req == nil {
		return nil, errors.New("gateway: nil request")
	}
	if req.Stream != nil && *req.Stream {
		return nil, errors.New("gateway: Chat does not stream; unset Request.Stream or use ChatStream")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode request: %w", err)
	}
	var resp *Response
	attempts, err := c.retry(ctx, func(ctx context.Context) error {
		var r Response
		status, err := c.do(ctx, http.MethodPost, "/chat/completions", req.Model, body, &r)
		if err != nil {
			return err
		}
		if r.HTTPStatusCode == 0 {
			r.HTTPStatusCode = status
		}
		resp = &r
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp.Attempts = attempts
	return resp, nil
}

// do makes one attempt: it sends the request, reads the body within the size
// limit and decodes a 2xx body into out. It returns the HTTP status. model
// is the request's model id, for Config.OnRateLimit.
func (c *Client) do(ctx context.Context, method, path, model string, body []byte, out any) (int, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	defer cancel()

	url := c.baseURL + path
	hreq, err := c.newRequest(actx, method, url, body)
	if err != nil {
		return 0, err
	}
	hresp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return 0, c.transportError(ctx, actx, method, url, err)
	}
	defer hresp.Body.Close()
	c.noteRateLimit(hresp, model)

	data, tooBig, err := readLimited(hresp.Body, c.maxBody)
	if err != nil {
		return 0, c.transportError(ctx, actx, method, url, fmt.Errorf("read response body: %w", err))
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return hresp.StatusCode, newAPIError(hresp, data, c.now(), c.cfg.APIKey)
	}
	if tooBig {
		return hresp.StatusCode, fmt.Errorf("gateway: %s %s: response body exceeds %d bytes", method, url, c.maxBody)
	}
	return hresp.StatusCode, c.decodeBody(hresp.StatusCode, data, out)
}

// decodeBody decodes a 2xx body into out; the error quotes the start of the
// body.
func (c *Client) decodeBody(status int, data []byte, out any) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("gateway: %s: response body is not valid JSON: %w (body %q)",
			statusText(status), err, excerpt(data, c.cfg.APIKey))
	}
	return nil
}

// newRequest builds one attempt's HTTP request with its headers.
func (c *Client) newRequest(ctx context.Context, method, url string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s %s: %w", method, url, err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.APIKey == "" {
		return hreq, nil
	}
	switch strings.ToLower(c.cfg.Auth) {
	case AuthRaw:
		hreq.Header.Set("Authorization", c.cfg.APIKey)
	case AuthBearer:
		hreq.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	default:
		return nil, fmt.Errorf("gateway: unknown auth scheme %q (want %q or %q)", c.cfg.Auth, AuthRaw, AuthBearer)
	}
	return hreq, nil
}

// readLimited reads at most limit bytes of r. tooBig reports that r had more.
func readLimited(r io.Reader, limit int64) (data []byte, tooBig bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		return data[:limit], true, err
	}
	return data, false, err
}

// statusText renders a status as "404 Not Found".
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("%d", code)
}
