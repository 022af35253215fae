// Package gateway is the client side of the LLM Gateway chat completions API
// (POST {base}/chat/completions and GET {base}/models; see GATEWAY.md).
//
// It owns:
//
//   - the wire types (Request, Message, Response, Usage, ...), which omit every
//     unset optional field because the gateway rejects parameters a model does
//     not support;
//   - the HTTP client (Client, built by New from a Config), with a per-attempt
//     timeout and a bounded response size;
//   - retries with capped exponential backoff and jitter, honouring
//     Retry-After, for transient failures only (408, 409, 429, 5xx, connection
//     errors, attempt timeouts);
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
// Streaming is not implemented yet: Chat refuses a Request with Stream set.
package gateway
