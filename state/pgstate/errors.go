package pgstate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// mask is what a password becomes in a message.
const mask = "xxxxx"

// failure is an error of this package. Its text is built from the parsed
// configuration and the cause's text with every password masked; Unwrap
// gives only causes whose text cannot hold the password (a context error,
// pgconn.ErrConnClosed, a *pgconn.PgError from the server), so nothing
// reached through it leaks one either.
type failure struct {
	msg   string
	cause error
}

func (f *failure) Error() string { return f.msg }

// Unwrap returns the context error or server error that caused f, or nil.
func (f *failure) Unwrap() error { return f.cause }

// safeCause is what a failure may unwrap to.
func safeCause(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, pgconn.ErrConnClosed):
		return pgconn.ErrConnClosed
	case errors.As(err, &pgErr):
		return pgErr
	}
	return nil
}

// failf returns a failure with a message of our own and no cause.
func failf(format string, args ...any) error {
	return &failure{msg: fmt.Sprintf(format, args...)}
}

// wrap turns an error met while doing op on where into a failure: one
// that already is (a message of this package) is returned as it is; a
// connection that cannot be made names the server.
func (s *server) wrap(op, where string, err error) error {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return s.connError(err)
	}
	return &failure{msg: fmt.Sprintf("pgstate: %s (%s): %s", op, where, s.cause(err)), cause: safeCause(err)}
}

// connError is the failure of a connection attempt.
func (s *server) connError(err error) error {
	return &failure{
		msg:   fmt.Sprintf("pgstate: cannot connect to PostgreSQL at %s (database %s): %s", s.addr, s.database, s.cause(err)),
		cause: safeCause(err),
	}
}

// cause is the text of what went wrong, as short as it can be said and
// with every password masked: the server's message, the system's reason a
// connection failed ("connection refused"), or the whole error.
func (s *server) cause(err error) string {
	var (
		pgErr  *pgconn.PgError
		dnsErr *net.DNSError
		errno  syscall.Errno
		text   string
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		text = "timed out (context deadline exceeded)"
	case errors.Is(err, context.Canceled):
		text = "interrupted (context canceled)"
	case errors.Is(err, pgconn.ErrConnClosed):
		text = "the connection is closed"
	case errors.As(err, &pgErr):
		text = fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	case errors.As(err, &dnsErr):
		text = dnsErr.Error()
	case errors.As(err, &errno):
		text = errno.Error()
	default:
		text = err.Error()
	}
	return redact(text, s.secrets)
}

// parseError is the failure of a connection string that cannot be parsed.
// pgx masks the passwords it recognises; redact masks what it finds too.
func parseError(connStr string, err error) error {
	return &failure{msg: "pgstate: invalid connection string: " + redact(err.Error(), secrets(connStr, ""))}
}

// redact masks every secret in text, the longest first.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, mask)
	}
	return text
}

var (
	// kvPassword finds a password in a keyword/value string, quoted or not.
	kvPassword = regexp.MustCompile(`(?i)password\s*=\s*('(?:[^'\\]|\\.)*'|\S*)`)
	// urlScheme starts a connection URL.
	urlScheme = regexp.MustCompile(`^postgres(?:ql)?://`)
)

// secrets returns what could be a password in connStr, even one that does
// not parse: the parsed password, PGPASSWORD, every "password=" value and
// every reading of a URL's userinfo, each as written and decoded; longest
// first, so that a shorter one never splits a longer one before it is
// masked.
func secrets(connStr, parsed string) []string {
	cands := []string{parsed, os.Getenv("PGPASSWORD")}
	for _, m := range kvPassword.FindAllStringSubmatch(connStr, -1) {
		v := m[1]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
			cands = append(cands, v, strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v))
		}
		query, _, _ := strings.Cut(v, "&") // a URL's ?password=
		cands = append(cands, v, query)
	}
	if loc := urlScheme.FindStringIndex(connStr); loc != nil {
		cands = append(cands, userinfoPasswords(connStr[loc[1]:])...)
	}
	var out []string
	for _, c := range cands {
		out = append(out, c)
		if d, err := url.QueryUnescape(c); err == nil {
			out = append(out, d)
		}
		if d, err := url.PathUnescape(c); err == nil {
			out = append(out, d)
		}
	}
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(out)
}

// userinfoPasswords returns, for each '@' in rest (a URL after its
// scheme), what lies between the first ':' and it: the password for one
// reading of a URL that may not parse.
func userinfoPasswords(rest string) []string {
	var out []string
	for i := range len(rest) {
		if rest[i] != '@' {
			continue
		}
		if _, pw, ok := strings.Cut(rest[:i], ":"); ok {
			out = append(out, pw)
		}
	}
	return out
}
