package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a loopback server that records the Authorization header of
// every request it gets and answers with h.
type recorder struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth []string
}

func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auth = append(r.auth, req.Method+" "+req.URL.Path+" auth="+req.Header.Get("Authorization"))
		r.mu.Unlock()
		h(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.auth...)
}

func TestModelsSendNoKey(t *testing.T) {
	t.Parallel()
	for _, auth := range []string{AuthRaw, AuthBearer} {
		t.Run(auth, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t, reply(200, `{"data":[{"id":"m"}]}`))
			c := New(Config{BaseURL: rec.srv.URL + "/v1", APIKey: "catalog-SECRET", Auth: auth})
			if _, err := c.Models(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(rec.requests(), "\n"), "GET /v1/models auth="; got != want {
				t.Errorf("wrong requests\ngot:  %s\nwant: %s", got, want)
			}
		})
	}
}

// doerFunc is an HTTPDoer that is not an *http.Client.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestChatRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	clients := map[string]func() HTTPDoer{
		"default client": func() HTTPDoer { return nil },
		// Own transports: parallel tests closing their servers close the
		// idle connections of the shared default transport.
		"caller's client": func() HTTPDoer { return &http.Client{Transport: &http.Transport{}} },
		"caller's redirect": func() HTTPDoer {
			return &http.Client{Transport: &http.Transport{}, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
		},
	}
	for _, status := range []int{301, 302, 303, 307, 308} {
		for name, doer := range clients {
			t.Run(statusText(status)+"/"+name, func(t *testing.T) {
				t.Parallel()
				other := newRecorder(t, reply(200, okBody))
				target := other.srv.URL + "/v1/chat/completions"
				first := newRecorder(t, reply(status, "", "Location", target))
				c := New(Config{BaseURL: first.srv.URL + "/v1", APIKey: "redirect-SECRET", HTTPClient: doer()})
				for _, call := range []func() error{
					func() error { _, err := c.Chat(context.Background(), hello()); return err },
					func() error { _, err := c.ChatStream(context.Background(), hello()); return err },
				} {
					err := call()
					checkRedirectError(t, err, status, target)
				}
				if got := other.requests(); len(got) != 0 {
					t.Errorf("the redirect was followed: %q", got)
				}
				if got := first.requests(); len(got) != 2 {
					t.Errorf("wrong attempts\ngot:  %q\nwant: one per call (no retry)", got)
				}
			})
		}
	}
}

// checkRedirectError checks the error of a chat request answered with a
// redirect to target.
func checkRedirectError(t *testing.T, err error, status int, target string) {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
		t.Fatalf("wrong error\ngot:  %v\nwant: an *APIError with status %d", err, status)
	}
	if msg := err.Error(); !strings.Contains(msg, statusText(status)) || !strings.Contains(msg, target) ||
		strings.Contains(msg, "SECRET") {
		t.Errorf("wrong message\ngot:  %s\nwant: the status and %s", msg, target)
	}
	if got := Classify(err); got != ClassTerminal {
		t.Errorf("wrong class\ngot:  %s\nwant: terminal", got)
	}
}

func TestChatRedirectFollowedByCallersDoer(t *testing.T) {
	t.Parallel()
	other := newRecorder(t, reply(200, okBody))
	first := newRecorder(t, reply(302, "", "Location", other.srv.URL+"/elsewhere"))
	follow := doerFunc(func(r *http.Request) (*http.Response, error) {
		r.Header.Del("Authorization") // a doer we cannot stop; keep the test's key home
		return (&http.Client{Transport: &http.Transport{}}).Do(r)
	})
	c := New(Config{BaseURL: first.srv.URL + "/v1", HTTPClient: follow})
	_, err := c.Chat(context.Background(), hello())
	if err == nil || !strings.Contains(err.Error(), "redirect") || !strings.Contains(err.Error(), "/elsewhere") {
		t.Fatalf("wrong error\ngot:  %v\nwant: the followed redirect to /elsewhere", err)
	}
	if got := Classify(err); got != ClassTerminal {
		t.Errorf("wrong class\ngot:  %s\nwant: terminal", got)
	}
}

func TestModelsFollowRedirect(t *testing.T) {
	t.Parallel()
	other := newRecorder(t, reply(200, `{"data":[{"id":"moved"}]}`))
	first := newRecorder(t, reply(307, "", "Location", other.srv.URL+"/v1/models"))
	c := New(Config{BaseURL: first.srv.URL + "/v1", APIKey: "k"})
	models, err := c.Models(context.Background())
	if err != nil || len(models) != 1 || models[0].ID != "moved" {
		t.Fatalf("wrong catalog\ngot:  %v, %v\nwant: [moved]", models, err)
	}
	if got := other.requests(); len(got) != 1 || got[0] != "GET /v1/models auth=" {
		t.Errorf("wrong redirected request\ngot:  %q", got)
	}
}

func TestCheckRedirectKeepsKeyOnOrigin(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		from, to string
		method   string
		keep     bool
		stop     bool
	}{
		"same origin":       {"http://127.0.0.1:80/v1/models", "http://127.0.0.1/v2/models", "GET", true, false},
		"other port":        {"http://127.0.0.1:8080/v1/models", "http://127.0.0.1:8081/v1/models", "GET", false, false},
		"other scheme":      {"https://gw.test/v1/models", "http://gw.test/v1/models", "GET", false, false},
		"other host":        {"https://gw.test/v1/models", "https://evil.test/v1/models", "GET", false, false},
		"subdomain":         {"https://gw.test/v1/models", "https://a.gw.test/v1/models", "GET", false, false},
		"chat never":        {"https://gw.test/v1/chat/completions", "https://gw.test/v2/chat/completions", "POST", true, true},
		"host case ignored": {"https://GW.test/v1/models", "https://gw.test:443/v1/models", "GET", true, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			first, _ := http.NewRequest(tc.method, tc.from, nil)
			next, _ := http.NewRequest("GET", tc.to, nil)
			next.Header.Set("Authorization", "k")
			err := checkRedirect(next, []*http.Request{first})
			if stop := errors.Is(err, http.ErrUseLastResponse); stop != tc.stop || (!stop && err != nil) {
				t.Errorf("wrong verdict\ngot:  %v\nwant: stop %t", err, tc.stop)
			}
			if kept := next.Header.Get("Authorization") != ""; kept != tc.keep {
				t.Errorf("wrong Authorization\ngot:  kept %t\nwant: kept %t", kept, tc.keep)
			}
		})
	}
}
