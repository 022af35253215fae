package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxExcerpt bounds the raw body kept in an error.
const maxExcerpt = 200

// redacted replaces the API key wherever a server echoed it back.
const redacted = "[REDACTED]"

// APIError is an HTTP error status from the gateway, with whatever its body
// said: every error body shape the gateway sends is decoded into the same
// fields. It also reports a redirect (3xx) that a chat request does not
// follow, and a 2xx answer whose body is an error. Text from the server has
// the API key redacted.
type APIError struct {
	StatusCode int      // HTTP status
	Code       int      // the body's "code", when it has one
	Message    string   // the body's message, or the "error" string of an auth error
	RequestID  string   // the body's request_id, else the x-request-id header
	Details    []string // metadata.errors: one entry per failed check

	// RetryAfter is the wait the response asked for (retry-after-ms when
	// present, else Retry-After), zero when there was none (see
	// HasRetryAfter).
	RetryAfter time.Duration

	// Body is a truncated excerpt of the raw body when it could not be
	// decoded or said nothing useful (an HTML page from a proxy, say).
	Body string

	// Header is the response header (x-ratelimit-* and the like).
	Header http.Header

	hasRetryAfter bool
}

// Error renders the error on one line, e.g.
// "gateway: 400 Bad Request: invalid request body: one of messages or prompt
// required (request id 2a9a…)". Auth errors add a hint about the key.
func (e *APIError) Error() string {
	var sb strings.Builder
	sb.WriteString("gateway: ")
	sb.WriteString(statusText(e.StatusCode))
	if e.StatusCode >= 200 && e.StatusCode <= 299 {
		sb.WriteString(" with an error body")
	}
	if e.Message != "" {
		sb.WriteString(": " + e.Message)
	}
	if len(e.Details) > 0 {
		sb.WriteString(": " + strings.Join(e.Details, "; "))
	}
	if e.Body != "" {
		fmt.Fprintf(&sb, ": body %q", e.Body)
	}
	if e.RequestID != "" {
		sb.WriteString(" (request id " + e.RequestID + ")")
	}
	if e.Class() == ClassAuth {
		sb.WriteString("; check the API key: the LLM Gateway takes the raw key in Authorization " +
			`(no "Bearer" prefix), and the EU host needs a key created for the EU region`)
	}
	return sb.String()
}

// HasRetryAfter reports whether the response carried a usable Retry-After
// header (RetryAfter may then be zero: "retry now"), or RetryAfter is set.
func (e *APIError) HasRetryAfter() bool { return e.hasRetryAfter || e.RetryAfter > 0 }

// wireError covers the three body shapes: A nested {"error":{...}}, B flat
// {"code","message","request_id","metadata"}, C {"error":"...","status"}.
type wireError struct {
	Error     json.RawMessage `json:"error"`
	Code      json.RawMessage `json:"code"`
	Message   string          `json:"message"`
	RequestID string          `json:"request_id"`
	Metadata  json.RawMessage `json:"metadata"`
}

// newAPIError builds the error for a non-2xx response whose body is data.
func newAPIError(resp *http.Response, data []byte, now time.Time, key string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Header: redactHeader(resp.Header, key)}
	e.RetryAfter, e.hasRetryAfter = retryAfter(resp.Header, now)
	if !decodeErrorBody(e, data) {
		e.Body = excerpt(data, key)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	e.Message = redact(e.Message, key)
	e.RequestID = redact(e.RequestID, key)
	for i, d := range e.Details {
		e.Details[i] = redact(d, key)
	}
	return e
}

// decodeErrorBody fills e from a JSON error body. It reports whether the
// body was JSON that said something (a message or details).
func decodeErrorBody(e *APIError, data []byte) bool {
	var w wireError
	if err := json.Unmarshal(data, &w); err != nil {
		return false
	}
	e.RequestID = w.RequestID
	switch t := bytes.TrimSpace(w.Error); {
	case len(t) > 0 && t[0] == '{': // shape A
		var inner wireError
		if err := json.Unmarshal(t, &inner); err == nil {
			w.Code, w.Message, w.Metadata = inner.Code, inner.Message, inner.Metadata
			if inner.RequestID != "" {
				e.RequestID = inner.RequestID
			}
		}
	case len(t) > 0 && t[0] == '"': // shape C
		var s string
		if json.Unmarshal(t, &s) == nil && w.Message == "" {
			w.Message = s
		}
	}
	e.Code = decodeCode(w.Code)
	e.Message = w.Message
	e.Details = decodeDetails(w.Metadata)
	return e.Message != "" || len(e.Details) > 0
}

// decodeCode reads a code given as a number or a numeric string.
func decodeCode(raw json.RawMessage) int {
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0
		}
		n = json.Number(s)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0
	}
	return i
}

// decodeDetails reads metadata.errors, keeping non-string entries as JSON.
func decodeDetails(metadata json.RawMessage) []string {
	var m struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(metadata, &m) != nil {
		return nil
	}
	var out []string
	for _, raw := range m.Errors {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out = append(out, s)
	}
	return out
}

// excerpt returns the body on one line, with the key redacted, cut to at
// most maxExcerpt bytes on a rune boundary ("…" marks a cut).
func excerpt(data []byte, key string) string {
	s := strings.Join(strings.Fields(redact(string(data), key)), " ")
	if len(s) <= maxExcerpt {
		return s
	}
	cut := maxExcerpt - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// redact removes every occurrence of key from s.
func redact(s, key string) string {
	if key == "" {
		return s
	}
	return strings.ReplaceAll(s, key, redacted)
}

// redactHeader returns a copy of h with the key removed from every value.
func redactHeader(h http.Header, key string) http.Header {
	out := h.Clone()
	for _, vs := range out {
		for i, v := range vs {
			vs[i] = redact(v, key)
		}
	}
	return out
}
