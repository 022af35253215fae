package gateway

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestAPIErrorShapes(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		status int
		body   string
		header []string
		want   APIError
		text   string
		class  Class
	}{
		"shape A nested": {
			status: 400,
			body:   `{"error":{"code":400,"message":"Invalid request: missing required field 'model'","metadata":{}}}`,
			want:   APIError{StatusCode: 400, Code: 400, Message: "Invalid request: missing required field 'model'"},
			text:   "gateway: 400 Bad Request: Invalid request: missing required field 'model'",
			class:  ClassTerminal,
		},
		"shape B flat with details": {
			status: 400,
			body:   `{"code":400,"message":"invalid request body","request_id":"2a9a","metadata":{"errors":["one of messages or prompt required"]}}`,
			want: APIError{StatusCode: 400, Code: 400, Message: "invalid request body", RequestID: "2a9a",
				Details: []string{"one of messages or prompt required"}},
			text:  "gateway: 400 Bad Request: invalid request body: one of messages or prompt required (request id 2a9a)",
			class: ClassTerminal,
		},
		"shape C auth": {
			status: 401,
			body:   `{"error":"Authentication error, API token missing/invalid","status":"error","request_id":"abc"}`,
			want:   APIError{StatusCode: 401, Message: "Authentication error, API token missing/invalid", RequestID: "abc"},
			text:   "gateway: 401 Unauthorized: Authentication error, API token missing/invalid (request id abc); check the API key",
			class:  ClassAuth,
		},
		"429 flat without metadata": {
			status: 429,
			body:   `{"request_id":"q","message":"too many requests for this action","code":429}`,
			header: []string{"Retry-After", "7"},
			want:   APIError{StatusCode: 429, Code: 429, Message: "too many requests for this action", RequestID: "q", RetryAfter: 7e9, hasRetryAfter: true},
			text:   "gateway: 429 Too Many Requests: too many requests for this action (request id q)",
			class:  ClassTransient,
		},
		"html from a proxy": {
			status: 502,
			body:   "<html>\n<body>Bad gateway</body>\n</html>",
			header: []string{"X-Request-Id", "hdr-1"},
			want:   APIError{StatusCode: 502, RequestID: "hdr-1", Body: "<html> <body>Bad gateway</body> </html>"},
			text:   `gateway: 502 Bad Gateway: body "<html> <body>Bad gateway</body> </html>" (request id hdr-1)`,
			class:  ClassTransient,
		},
		"empty body 403": {
			status: 403,
			want:   APIError{StatusCode: 403},
			text:   "gateway: 403 Forbidden; check the API key",
			class:  ClassAuth,
		},
		"code as string, body request id wins over header": {
			status: 404,
			body:   `{"error":{"code":"404","message":"transcript not found"},"request_id":"body-id"}`,
			header: []string{"X-Request-Id", "hdr-2"},
			want:   APIError{StatusCode: 404, Code: 404, Message: "transcript not found", RequestID: "body-id"},
			text:   "gateway: 404 Not Found: transcript not found (request id body-id)",
			class:  ClassTerminal,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := testClient(t, Config{MaxRetries: -1}, reply(tc.status, tc.body, tc.header...))
			_, err := c.Chat(context.Background(), hello())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("wrong error type\ngot:  %T %v\nwant: *APIError", err, err)
			}
			got := *apiErr
			got.Header = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("wrong APIError\ngot:  %#v\nwant: %#v", got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.text) {
				t.Errorf("wrong error text\ngot:  %s\nwant: %s…", err, tc.text)
			}
			if got := Classify(err); got != tc.class {
				t.Errorf("wrong class\ngot:  %s\nwant: %s", got, tc.class)
			}
		})
	}
}

func TestAPIErrorBodyTruncated(t *testing.T) {
	t.Parallel()
	long := "<html>" + strings.Repeat("é", 500) + "</html>"
	c, _ := testClient(t, Config{MaxRetries: -1}, reply(500, long))
	_, err := c.Chat(context.Background(), hello())
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("wrong error type %T", err)
	}
	if n := len(apiErr.Body); n > maxExcerpt {
		t.Errorf("body excerpt too long\ngot:  %d bytes\nwant: <= %d", n, maxExcerpt)
	}
	if !strings.HasSuffix(apiErr.Body, "…") || !strings.HasPrefix(apiErr.Body, "<html>é") {
		t.Errorf("wrong body excerpt\ngot:  %q", apiErr.Body)
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	t.Parallel()
	const key = "sk-very-secret-key-123"
	echoAuth := func(status int, wrap string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Echo", r.Header.Get("Authorization"))
			w.WriteHeader(status)
			_, _ = w.Write([]byte(strings.ReplaceAll(wrap, "KEY", r.Header.Get("Authorization"))))
		}
	}
	tests := map[string]struct {
		auth string
		h    http.HandlerFunc
	}{
		"shape B message":      {"raw", echoAuth(400, `{"code":400,"message":"bad key KEY","metadata":{"errors":["key KEY rejected"]}}`)},
		"shape C":              {"bearer", echoAuth(401, `{"error":"token KEY invalid","status":"error"}`)},
		"html body":            {"raw", echoAuth(502, `<html>KEY</html>`)},
		"key near excerpt cut": {"raw", echoAuth(500, strings.Repeat("x", maxExcerpt-10)+"KEY")},
		"malformed 200":        {"raw", echoAuth(200, `{"oops": "KEY`)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := testClient(t, Config{APIKey: key, Auth: tc.auth, MaxRetries: -1}, tc.h)
			_, err := c.Chat(context.Background(), hello())
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), key[:12]) {
				t.Errorf("error text leaks the key\ngot:  %s", err)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) && strings.Contains(apiErr.Header.Get("X-Echo"), key) {
				t.Errorf("error header leaks the key\ngot:  %s", apiErr.Header.Get("X-Echo"))
			}
		})
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  error
		want Class
	}{
		"nil":       {nil, ClassNone},
		"400":       {&APIError{StatusCode: 400}, ClassTerminal},
		"401":       {&APIError{StatusCode: 401}, ClassAuth},
		"403":       {&APIError{StatusCode: 403}, ClassAuth},
		"404":       {&APIError{StatusCode: 404}, ClassTerminal},
		"408":       {&APIError{StatusCode: 408}, ClassTransient},
		"409":       {&APIError{StatusCode: 409}, ClassTransient},
		"422":       {&APIError{StatusCode: 422}, ClassTerminal},
		"429":       {&APIError{StatusCode: 429}, ClassTransient},
		"500":       {&APIError{StatusCode: 500}, ClassTransient},
		"503":       {&APIError{StatusCode: 503}, ClassTransient},
		"wrapped":   {errors.Join(errors.New("x"), &APIError{StatusCode: 503}), ClassTransient},
		"canceled":  {context.Canceled, ClassTerminal},
		"other":     {errors.New("boom"), ClassTerminal},
		"transient": {&transportError{err: errors.New("reset"), transient: true}, ClassTransient},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("wrong class\ngot:  %s\nwant: %s", got, tc.want)
			}
		})
	}
}
