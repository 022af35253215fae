// Package gateway is the client side of the LLM Gateway chat completions API
// (POST {base}/chat/completions and GET {base}/models).
//
// It owns:
//
//   - the wire types (Request, Message, Response, Usage, ...), which omit every
//     unset optional field because the gateway rejects parameters a model does
//     not support;
//   - the HTTP client (Client, built by New from a Config), with a per-attempt
//     timeout and a bounded response size;
//   - streaming (ChatStream, Stream, Chunk): a server-sent event reader
//     that accumulates the chunks into the same Response a non-streamed
//     request gives;
//   - retries with capped exponential backoff and jitter, honouring
//     Retry-After, for transient failures only (408, 409, 429, 5xx, connection
//     errors, attempt timeouts);
//   - rate-limit information (RateLimit, Config.OnRateLimit) read from the
//     x-ratelimit-* and Retry-After headers;
//   - one typed error for HTTP failures (*APIError), which decodes every error
//     body shape the gateway is known to send, and the error classes
//     (Classify: transient, terminal, auth) that callers use to decide what to
//     do next;
//   - the offline model (Offline), a deterministic stand-in that answers
//     without any network;
//   - subpackage gatewaytest, an in-process fake gateway for tests.
//
// The package knows nothing of HCL, steps, plans or state: it turns a Request
// into a Response or an error. Fallback chains across models are the
// executor's policy, not this package's; the client retries only the same
// request against the same model. The API key is never written into an error,
// a log line or a Response.
//
// # Keys, redirects and logs
//
// The key goes only with chat requests: the catalog (GET /models) needs
// none and never gets one. A chat request does not follow a redirect; its
// 3xx answer is a terminal *APIError naming the status and the Location.
// The catalog follows redirects, but never carries an Authorization header
// to another scheme, host or port. Config.Logger, when set, logs each HTTP
// attempt (method, URL, attempt, status, duration, request id, rate-limit
// headers, retries and their waits), never a header of the request, a body
// or a message from the server.
//
// # Retry policy
//
// Classify is the policy. Transient failures (408, 409, 429, 5xx, attempt
// timeouts, connection resets and refusals, a stream cut off before its
// end) are retried with backoff; terminal ones (400, 404, 422 and every
// other 4xx, a malformed body, a cancelled context) fail at once; auth
// failures (401, 403) fail at once too, and no fallback can fix them.
//
// The client retries a transient failure at most Config.MaxRetries times
// (default 4), waiting 0.5s, 1s, 2s, ... capped at 30s, each with equal
// jitter; or, when the response asks for a wait (RateLimit.ServerWait:
// Retry-After or retry-after-ms on a 429 or 503, else x-ratelimit-reset on
// a 429 or when x-ratelimit-remaining is 0), exactly that wait, capped at
// MaxServerWait (five minutes). Every wait ends early when ctx does, and
// when the stop attached by WithRetryStop does; the call then returns
// without retrying. The gateway
// itself retries a failed provider call once on its side
// (fallback_config.retry, on by default), so one
// Chat call costs at most (MaxRetries+1) × 2 provider calls: the two retry
// layers multiply but stay bounded. To keep a single layer, set
// MaxRetries to -1, or send FallbackConfig{Retry: false}. ChatStream retries
// only before the first byte of the stream is read; a stream that fails
// part-way is reported, never replayed.
package gateway
