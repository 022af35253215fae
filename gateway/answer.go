package gateway

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
)

// decodeResponse decodes a chat answer. A body that holds an error instead
// of choices is an *APIError. When the body names no model, the requested
// one is filled in; when it has no request_id, the X-Request-Id header or
// else the answer's id.
func (c *Client) decodeResponse(a *answer, model string) (*Response, error) {
	var r Response
	err := c.decodeBody(a.status, a.body, &r)
	if err != nil || len(r.Choices) == 0 {
		// Only then can the body be an error: look (a second decode).
		if apiErr := c.errorAnswer(a, "choices"); apiErr != nil {
			return nil, apiErr
		}
	}
	if err != nil {
		return nil, err
	}
	if r.HTTPStatusCode == 0 {
		r.HTTPStatusCode = a.status
	}
	r.Model = cmp.Or(r.Model, model)
	r.RequestID = cmp.Or(r.RequestID, a.header.Get("X-Request-Id"), r.ID)
	return &r, nil
}

// errorAnswer returns the *APIError of a 2xx body that is an error rather
// than an answer: one without its payload (a non-empty member of that name)
// that holds a non-null "error", or a "code" and a "message" (the shapes
// of an error status's body). It returns nil for anything else, including
// a body that is not a JSON object.
func (c *Client) errorAnswer(a *answer, payload string) *APIError {
	var probe map[string]json.RawMessage
	if json.Unmarshal(a.body, &probe) != nil {
		return nil
	}
	if !isEmptyJSON(probe[payload]) {
		return nil
	}
	_, hasCode := probe["code"]
	_, hasMessage := probe["message"]
	if isEmptyJSON(probe["error"]) && !(hasCode && hasMessage) {
		return nil
	}
	hresp := &http.Response{StatusCode: a.status, Header: a.header}
	return newAPIError(hresp, a.body, c.now(), c.cfg.APIKey)
}

// isEmptyJSON reports whether raw is absent, null, [] or {}.
func isEmptyJSON(raw json.RawMessage) bool {
	switch string(bytes.Join(bytes.Fields(raw), nil)) {
	case "", "null", "[]", "{}":
		return true
	}
	return false
}
