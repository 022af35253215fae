package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// loggedHeaders are the response headers a log line shows, as attributes
// named in lower case with "_" for "-". Nothing else of a response is
// logged but its status.
var loggedHeaders = []string{headerLimit, headerRemaining, headerReset, headerModel, headerRetryAfter, headerRetryAfterMS}

// log writes one line to Config.Logger, when there is one and it takes
// level.
func (c *Client) log(level slog.Level, msg string, x exchange, attrs ...slog.Attr) {
	l := c.cfg.Logger
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	base := []slog.Attr{
		slog.String("method", x.method),
		slog.String("url", RedactURL(c.baseURL+x.path)),
		slog.Int("attempt", x.attempt),
	}
	if x.model != "" {
		base = append(base, slog.String("model", x.model))
	}
	l.LogAttrs(context.Background(), level, msg, append(base, attrs...)...)
}

// logRequest logs an attempt about to be sent.
func (c *Client) logRequest(x exchange) {
	c.log(slog.LevelDebug, "gateway request", x)
}

// logResponse logs the answer to an attempt: its status, how long it took,
// the request id (of the body data, else of the X-Request-Id header), the
// rate-limit headers and a redirect's Location. err is the attempt's
// outcome: an error logs at warn level with its class, never its text,
// which may quote the answer.
func (c *Client) logResponse(x exchange, hresp *http.Response, took time.Duration, data []byte, err error) {
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	if c.cfg.Logger == nil || !c.cfg.Logger.Enabled(context.Background(), level) {
		return // nothing to log: no need to look into the body
	}
	attrs := []slog.Attr{
		slog.Int("status", hresp.StatusCode),
		slog.Duration("duration", took),
	}
	var apiErr *APIError
	id := hresp.Header.Get("X-Request-Id")
	if errors.As(err, &apiErr) {
		id = cmp.Or(apiErr.RequestID, id)
	} else {
		id = cmp.Or(bodyRequestID(data), id)
	}
	if id != "" {
		attrs = append(attrs, slog.String("request_id", redact(id, c.cfg.APIKey)))
	}
	for _, h := range loggedHeaders {
		if v := hresp.Header.Get(h); v != "" {
			attrs = append(attrs, slog.String(strings.ReplaceAll(strings.ToLower(h), "-", "_"), redact(v, c.cfg.APIKey)))
		}
	}
	if loc := hresp.Header.Get("Location"); loc != "" && hresp.StatusCode >= 300 && hresp.StatusCode <= 399 {
		attrs = append(attrs, slog.String("location", redact(loc, c.cfg.APIKey)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("class", Classify(err).String()))
	}
	c.log(level, "gateway response", x, attrs...)
}

// logFailure logs an attempt that got no answer. The error names the
// method, the URL and the network failure, nothing sent or answered.
func (c *Client) logFailure(x exchange, took time.Duration, err error) {
	c.log(slog.LevelWarn, "gateway request failed", x,
		slog.Duration("duration", took),
		slog.String("class", Classify(err).String()),
		slog.String("error", redact(err.Error(), c.cfg.APIKey)))
}

// logRetry logs the wait before the attempt after x; serverAsked tells a
// wait the server asked for (Retry-After) from a backoff.
func (c *Client) logRetry(x exchange, wait time.Duration, serverAsked bool, err error) {
	attrs := []slog.Attr{slog.Duration("wait", wait), slog.Bool("server_wait", serverAsked)}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		attrs = append(attrs, slog.Int("status", apiErr.StatusCode))
	}
	c.log(slog.LevelWarn, "gateway retry", x, append(attrs, slog.String("class", Classify(err).String()))...)
}

// bodyRequestID returns the request_id of a JSON body, or "".
func bodyRequestID(data []byte) string {
	var v struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return v.RequestID
}
