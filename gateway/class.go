package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// Class sorts an error by what a caller should do about it.
type Class int

// The error classes.
const (
	// ClassNone is the class of a nil error.
	ClassNone Class = iota
	// ClassTransient may succeed if tried again later: 408, 409, 429, 5xx,
	// connection errors and per-attempt timeouts.
	ClassTransient
	// ClassTerminal will fail the same way again: 400, 404, 422 and other
	// 4xx, undecodable responses, a cancelled context, and anything unknown.
	ClassTerminal
	// ClassAuth is 401 or 403: the key is missing, wrong, or for another
	// region. No retry or fallback can fix it.
	ClassAuth
)

// String returns the class's lowercase name.
func (c Class) String() string {
	switch c {
	case ClassNone:
		return "none"
	case ClassTransient:
		return "transient"
	case ClassTerminal:
		return "terminal"
	case ClassAuth:
		return "auth"
	default:
		return fmt.Sprintf("Class(%d)", int(c))
	}
}

// Class returns the class of the error's status code. An error in a 2xx
// answer is classed by its body's code when that is an HTTP error status,
// and is terminal otherwise; a redirect is terminal.
func (e *APIError) Class() Class {
	s := e.StatusCode
	if s >= 200 && s <= 299 && e.Code >= 400 && e.Code <= 599 {
		s = e.Code
	}
	switch {
	case s == 401 || s == 403:
		return ClassAuth
	case s == 408 || s == 409 || s == 429 || s >= 500:
		return ClassTransient
	default:
		return ClassTerminal
	}
}

// Classify returns the class of an error returned by this package, and is
// the retry policy of Client (see the package doc):
//
//   - ClassTransient, retried with backoff: 408, 409, 429 and 5xx
//     (*APIError), attempt timeouts, connection resets, refusals and other
//     network failures that may pass, and ErrStreamEnded;
//   - ClassTerminal, failed at once: 400, 404, 422 and every other 4xx,
//     a malformed or over-long body, a bad chunk, DNS "no such host",
//     certificate errors, a cancelled context, and anything unknown;
//   - ClassAuth, failed at once: 401 and 403.
//
// A context error that ended the caller's own context is terminal: trying
// again under the same context cannot help. An *APIError from inside a
// stream is classed by the code its payload gave.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Class()
	}
	var te *transportError
	if errors.As(err, &te) && te.transient || errors.Is(err, ErrStreamEnded) {
		return ClassTransient
	}
	return ClassTerminal
}

// transportError is a failure to get a complete HTTP response. Its text
// names the method and URL, never the key.
type transportError struct {
	method, url string
	err         error
	transient   bool
}

func (e *transportError) Error() string {
	return "gateway: " + e.method + " " + e.url + ": " + e.err.Error()
}

func (e *transportError) Unwrap() error { return e.err }

// transportError wraps err from an attempt under the attempt context actx,
// itself derived from the caller's ctx.
func (c *Client) transportError(ctx, actx context.Context, method, target string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error repeats the method and URL
	}
	te := &transportError{method: method, url: RedactURL(target), err: err}
	switch {
	case ctx.Err() != nil:
		te.err = ctx.Err()
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		te.err = fmt.Errorf("attempt timed out after %s: %w", c.cfg.Timeout, context.DeadlineExceeded)
		te.transient = true
	default:
		te.transient = transientNetError(err)
	}
	return te
}

// transientNetError reports whether a network error may go away by itself.
func transientNetError(err error) bool {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	switch {
	case errors.As(err, &dnsErr):
		return !dnsErr.IsNotFound
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostnameErr):
		return false
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}
