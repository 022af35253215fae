package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxRedirects is how many redirects a catalog request follows.
const maxRedirects = 10

// maxIdleConns is how many idle connections a client keeps, per host and
// in all: more than any -parallelism in practice.
const maxIdleConns = 256

// withRedirectRules returns the HTTPDoer to use for doer: a new
// *http.Client with its own transport for nil, a copy of an *http.Client whose CheckRedirect runs
// checkRedirect before the caller's own policy, and any other HTTPDoer as
// it is.
func withRedirectRules(doer HTTPDoer) HTTPDoer {
	switch hc := doer.(type) {
	case nil:
		// A transport of its own: idle connections of the shared default
		// transport may be closed by anything else in the process. It
		// keeps enough idle connections for every call in flight to find
		// one, so that a run at high -parallelism does not dial anew for
		// most requests (the default keeps 2 per host).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = maxIdleConns, maxIdleConns
		return &http.Client{Transport: t, CheckRedirect: checkRedirect}
	case *http.Client:
		cp := *hc
		cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if err := checkRedirect(req, via); err != nil || hc.CheckRedirect == nil {
				return err
			}
			return hc.CheckRedirect(req, via)
		}
		return &cp
	default:
		return doer
	}
}

// checkRedirect is the redirect policy of an *http.Client: a request other
// than GET or HEAD (a chat request) never follows a redirect, so its 3xx
// answer comes back as it is; a GET follows at most maxRedirects, and loses
// its Authorization header on the way to another origin (scheme, host or
// port), which net/http would otherwise keep for another port of the same
// host.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet && first.Method != http.MethodHead {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if !sameOrigin(first.URL, req.URL) {
		req.Header.Del("Authorization")
	}
	return nil
}

// sameOrigin reports whether a and b have the same scheme, host and port,
// the port defaulting to the scheme's.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// port returns the URL's port, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// redirectError returns the error for an answer to hreq that a chat request
// must not take: a 3xx status, an *APIError naming the status and the
// Location; or, when an HTTPDoer followed a redirect itself, an error
// naming where it went. It returns nil for any other answer, and for the
// redirects a GET may follow.
func redirectError(hreq *http.Request, hresp *http.Response, now time.Time, key string) error {
	if hresp.StatusCode >= 300 && hresp.StatusCode <= 399 {
		return newRedirectError(hresp, now, key)
	}
	final := hresp.Request
	if hreq.Method == http.MethodGet || final == nil || final.URL == nil ||
		final.Method == hreq.Method && final.URL.String() == hreq.URL.String() {
		return nil
	}
	return fmt.Errorf("gateway: %s %s: the HTTP client followed a redirect to %s %s; chat requests must not be redirected: set the gateway url to the address that answers",
		hreq.Method, hreq.URL.Redacted(), final.Method, redact(final.URL.Redacted(), key))
}

// newRedirectError is the *APIError of a 3xx answer.
func newRedirectError(hresp *http.Response, now time.Time, key string) *APIError {
	loc := hresp.Header.Get("Location")
	if u, err := hresp.Location(); err == nil {
		loc = u.Redacted()
	}
	e := newAPIError(hresp, nil, now, key)
	e.Message = "redirected to " + redact(loc, key) +
		", which is not followed: set the gateway url to the address that answers"
	if loc == "" {
		e.Message = "a redirect without a Location, which is not followed"
	}
	e.Body = ""
	return e
}

// RedactURL returns u for messages and logs: a password in it is replaced
// by "xxxxx", and a URL that cannot be parsed is not shown at all.
func RedactURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "(an invalid URL)"
	}
	return parsed.Redacted()
}
