package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Paths of the API, below BaseURL.
const (
	chatPath   = "/chat/completions"
	modelsPath = "/models"
)

// exchange describes one HTTP attempt.
type exchange struct {
	method, path string
	model        string // the request's model id, for OnRateLimit and the log
	body         []byte // nil: no body
	withKey      bool   // send the API key: chat requests only, never the catalog
	attempt      int    // 1 for the first attempt, set by retry
}

// answer is a 2xx response, its body read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do makes one attempt and reads the body within the size limit. A non-2xx
// status is an *APIError.
func (c *Client) do(ctx context.Context, x exchange) (*answer, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.cfg.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	defer cancel()

	start := c.now()
	hresp, err := c.send(ctx, actx, x, "application/json")
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	url := c.baseURL + x.path
	data, tooBig, err := readLimited(hresp.Body, c.maxBody)
	switch {
	case err != nil:
		err = c.transportError(ctx, actx, x.method, url, fmt.Errorf("read response body: %w", err))
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		err = newAPIError(hresp, data, c.now(), c.cfg.APIKey)
	case tooBig:
		err = fmt.Errorf("gateway: %s %s: response body exceeds %d bytes", x.method, RedactURL(url), c.maxBody)
	}
	c.logResponse(x, hresp, c.now().Sub(start), data, err)
	if err != nil {
		return nil, err
	}
	return &answer{status: hresp.StatusCode, header: hresp.Header, body: data}, nil
}

// send sends one attempt under actx, the attempt's context derived from
// ctx, and returns the response with its body unread. It reports the rate
// limit, and refuses a redirect (see checkRedirect): a chat request's 3xx
// answer, or one that came from a redirect the HTTPClient followed, is an
// error.
func (c *Client) send(ctx, actx context.Context, x exchange, accept string) (*http.Response, error) {
	url := c.baseURL + x.path
	hreq, err := c.newRequest(actx, x.method, url, x.body, x.withKey)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Accept", accept)
	c.logRequest(x)
	start := c.now()
	hresp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		err = c.transportError(ctx, actx, x.method, url, err)
		c.logFailure(x, c.now().Sub(start), err)
		return nil, err
	}
	c.noteRateLimit(hresp, x.model)
	if err := redirectError(hreq, hresp, c.now(), c.cfg.APIKey); err != nil {
		c.logResponse(x, hresp, c.now().Sub(start), nil, err)
		_ = hresp.Body.Close()
		return nil, err
	}
	return hresp, nil
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

// newRequest builds one attempt's HTTP request with its headers; the
// Authorization header only when withKey is set and there is a key.
func (c *Client) newRequest(ctx context.Context, method, url string, body []byte, withKey bool) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s %s: %w", method, RedactURL(url), err)
	}
	if body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	hreq.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.APIKey == "" || !withKey {
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
