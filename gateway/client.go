package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	// client-wide timeout (the per-attempt Timeout applies instead). An
	// *http.Client is used through a copy whose CheckRedirect applies the
	// client's redirect rules first (see New); another HTTPDoer should not
	// follow redirects, since the client can only refuse the answer of a
	// redirect it followed, after the key went with it.
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
	// RateLimit.ServerWait is the wait the Client takes before retrying
	// that request: holding the model's other requests back that long
	// keeps them in step with the retry.
	OnRateLimit func(RateLimit)

	// Logger, when set, logs every HTTP attempt: at debug level the method,
	// URL, attempt number and model before it is sent; at info level (warn
	// for an error) its status, duration, request id and rate-limit headers;
	// at warn level every retry and its wait, and every connection failure.
	// It never logs a request header, a body, or a message from the server,
	// so neither the key nor anything sent or answered appears in it. Nil
	// logs nothing.
	Logger *slog.Logger
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
//
// Redirects: a chat request never follows one; its 3xx answer is a terminal
// *APIError that names the status and the Location. The catalog (a GET)
// follows up to ten, and a redirect to another scheme, host or port never
// carries the Authorization header.
func New(cfg Config) *Client {
	d := DefaultConfig()
	if cfg.BaseURL == "" {
		cfg.BaseURL = d.BaseURL
	}
	if cfg.Auth == "" {
		cfg.Auth = d.Auth
	}
	cfg.HTTPClient = withRedirectRules(cfg.HTTPClient)
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
// Attempts field says how many attempts were made; its Model and RequestID
// fall back to the requested model and to the X-Request-Id header or the
// answer's id when the body names none. On failure the error is an
// *APIError for an HTTP error status, a redirect, or a 2xx body that holds
// an error instead of an answer; ctx.Err() when ctx ended during a wait
// between attempts; the stop's error when ctx carries a stop (see
// WithRetryStop) that ended before a retry; or another error naming the
// method and URL. Use Classify to sort it. Chat does not stream: a Request
// with Stream set is refused (use ChatStream).
//
// ctx bounds the whole call: its end abandons the attempt in flight and any
// wait. A stop attached by WithRetryStop ends only the waits between
// attempts and the retries after them, never an attempt already sent.
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
	x := exchange{method: http.MethodPost, path: chatPath, model: req.Model, body: body, withKey: true}
	var resp *Response
	attempts, err := c.retry(ctx, x, func(ctx context.Context, x exchange) error {
		a, err := c.do(ctx, x)
		if err != nil {
			return err
		}
		resp, err = c.decodeResponse(a, req.Model)
		return err
	})
	if err != nil {
		return nil, err
	}
	resp.Attempts = attempts
	return resp, nil
}
