package gatewaytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/promptform/promptform/gateway"
)

// Reply is a scripted answer. The zero Reply is the default answer.
type Reply struct {
	// Status is the HTTP status; zero means 200.
	Status int

	// Header is added to the response (Retry-After, x-ratelimit-*, ...).
	Header http.Header

	// Body is encoded as the JSON body: a *gateway.Response, a map, an
	// error body, anything. When both Body and Raw are unset, a status below
	// 400 gets the default answer (with Text as its content, if set) and a
	// status of 400 or more gets an error body of shape A.
	Body any

	// Raw, when not empty, is sent as the body exactly as it is (malformed
	// JSON, an HTML page from a proxy, ...).
	Raw string

	// Text replaces the content of the default answer.
	Text string

	// Delay holds the reply back this long (the wait ends early when the
	// client goes away or the server closes).
	Delay time.Duration
}

// ErrorReply returns a reply with status and the flat error body shape B:
// {"code","message","request_id","metadata":{"errors":details}}.
func ErrorReply(status int, message string, details ...string) Reply {
	if details == nil {
		details = []string{}
	}
	return Reply{Status: status, Body: map[string]any{
		"code":       status,
		"message":    message,
		"request_id": "gatewaytest-error",
		"metadata":   map[string]any{"errors": details},
	}}
}

// finish fills in the body of a reply that has none, for req.
func (rep Reply) finish(req *gateway.Request) Reply {
	if rep.Header == nil {
		rep.Header = http.Header{}
	}
	if rep.Header.Get("X-Request-Id") == "" {
		rep.Header.Set("X-Request-Id", requestID(req))
	}
	if rep.Body != nil || rep.Raw != "" {
		return rep
	}
	if rep.Status >= 400 {
		rep.Body = nestedError(rep.Status, http.StatusText(rep.Status))
		return rep
	}
	resp, err := DefaultAnswer(req)
	if err != nil {
		return ErrorReply(http.StatusBadRequest, "invalid request body", err.Error())
	}
	if rep.Text != "" && len(resp.AllToolCalls()) == 0 {
		resp.Choices[0].Message.Content = gateway.TextContent(rep.Text)
	}
	rep.Body = resp
	return rep
}

// DefaultAnswer is the fake's answer to req: like gateway.Offline (a call
// to the tool that tool_choice names, or a minimal instance of the
// response_format schema), except that plain text is "echo: " followed by
// the prompt or else the last user message. The request_id is
// "gatewaytest-" and 16 hex digits of the request's hash, and "request"
// echoes the request without prompt, messages and post_processing_steps.
func DefaultAnswer(req *gateway.Request) (*gateway.Response, error) {
	resp, err := gateway.Offline{}.Chat(context.Background(), req)
	if err != nil {
		return nil, err
	}
	resp.RequestID = requestID(req)
	resp.Request = echo(req)
	structured := req.ResponseFormat != nil && req.ResponseFormat.JSONSchema != nil
	if len(resp.AllToolCalls()) == 0 && !structured {
		text := "echo: " + req.LastUserText()
		resp.Choices[0].Message.Content = gateway.TextContent(text)
		out := len(strings.Fields(text))
		resp.Usage.OutputTokens, resp.Usage.CompletionTokens = out, out
		resp.Usage.TotalTokens = resp.Usage.InputTokens + out
	}
	return resp, nil
}

// echo returns the request as the gateway echoes it.
func echo(req *gateway.Request) json.RawMessage {
	b, err := json.Marshal(req)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	delete(m, "prompt")
	delete(m, "messages")
	delete(m, "post_processing_steps")
	b, _ = json.Marshal(m)
	return b
}

// requestHash returns the hex SHA-256 of the request's canonical JSON.
func requestHash(req *gateway.Request) string {
	if req == nil {
		return strings.Repeat("0", 64)
	}
	c, err := req.Canonical()
	if err != nil {
		return strings.Repeat("0", 64)
	}
	sum := sha256.Sum256(c)
	return hex.EncodeToString(sum[:])
}

// requestID returns the fake's request id for req.
func requestID(req *gateway.Request) string { return "gatewaytest-" + requestHash(req)[:16] }

// nestedError is error body shape A.
func nestedError(status int, message string) map[string]any {
	return map[string]any{"error": map[string]any{
		"code": status, "message": message, "metadata": map[string]any{},
	}}
}

// authError is a 401 with error body shape C.
func authError() Reply {
	return Reply{Status: http.StatusUnauthorized, Body: map[string]any{
		"error":      "Authentication error, API token missing/invalid",
		"status":     "error",
		"request_id": "gatewaytest-auth",
	}}
}

// validate rejects what the real gateway rejects before any model runs.
func validate(req *gateway.Request) (Reply, bool) {
	switch {
	case req == nil:
		return ErrorReply(http.StatusBadRequest, "invalid request body", "request body is not a valid JSON request"), true
	case req.Model == "":
		return ErrorReply(http.StatusBadRequest, "invalid request body", "model is required"), true
	case len(req.Messages) == 0 && req.Prompt == "":
		return ErrorReply(http.StatusBadRequest, "invalid request body", "one of messages or prompt required"), true
	}
	return Reply{}, false
}
