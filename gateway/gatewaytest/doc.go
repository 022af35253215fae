// Package gatewaytest is an in-process fake LLM Gateway for tests: an
// httptest server on a loopback address that speaks the wire format of
// package gateway. It never touches the internet.
//
//	s := gatewaytest.NewServer()
//	defer s.Close()
//	c := gateway.New(gateway.Config{BaseURL: s.URL()})
//
// It serves POST /v1/chat/completions and GET /v1/models, and records every
// request it receives (Requests, RequestsJSON). Anything else gets a 404.
//
// A chat request is answered by the first of these that applies:
//
//  1. With RequireKey set, a request whose Authorization header is not
//     exactly the key gets 401 with body shape C
//     ({"error":"Authentication error, ...","status":"error",...}).
//  2. A body that is not a valid request gets 400 with the flat body shape B
//     and metadata.errors: not JSON, no model, or neither messages nor prompt.
//  3. With SetRateLimit, a request over its model's limit gets 429.
//  4. A magic model id (below) gets its canned answer.
//  5. The next reply queued with Enqueue.
//  6. The function set with Handle.
//  7. The default answer (see DefaultAnswer): "echo: <last user message>",
//     or, like gateway.Offline, a minimal instance of the response_format
//     schema or a call to the tool that tool_choice names.
//
// Magic model ids, for tests driven from outside Go code (testscript):
//
//   - "fail-500": 500 with the nested body shape A, every time. When the
//     request has fallbacks[], the fake acts like the gateway's server-side
//     fallback and answers as the first entry whose model is not a magic
//     id (with that entry's messages, temperature and max_tokens).
//   - "fail-400": 400 with the flat body shape B and metadata.errors, every
//     time (fallbacks do not rescue it, as on the real gateway).
//   - "fail-401": 401 with body shape C, every time.
//   - "fail-429": 429 with "Retry-After: 0", x-ratelimit-* headers and the
//     flat body; the next identical request (same canonical JSON) succeeds,
//     the one after that fails again, and so on alternately.
//   - "malformed-json": 200 with a body that is not valid JSON.
//
// A chat request with "stream": true whose answer is a success (the
// default answer, a Reply with Text, a *gateway.Response Body, a server-side
// fallback) is answered as text/event-stream: a role chunk, the text in
// three pieces, each tool call as a first fragment with id, type and name
// then its arguments in fragments, a chunk with the finish reason, a
// usage-only chunk with "choices": [], then "data: [DONE]". Errors (magic
// ids, a 4xx/5xx Reply, validation, rate limits) stay JSON, as on the real
// gateway. To replay a recorded transcript, queue a Reply with Raw set to it
// and a Content-Type: text/event-stream Header.
//
// SetRateLimit limits requests per model in a sliding window and answers
// 429 with Retry-After, retry-after-ms and x-ratelimit-* headers beyond it;
// Recorded.Status tells which requests were limited.
//
// The default catalog of GET /v1/models (DefaultModels) lists a few real
// model ids, each with context_length and supported_parameters, and the
// magic ids; SetModels replaces it. A Server is safe for concurrent use.
package gatewaytest
