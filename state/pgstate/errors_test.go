package pgstate

import (
	"strings"
	"testing"
)

// TestRedact checks that every password a connection string can hold,
// however it is written, is masked in a text that quotes the string and
// the password, even when the string does not parse.
func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ connStr, password string }{
		"URL":             {"postgres://u:hunter2@h:5432/db", "hunter2"},
		"URL escaped":     {"postgresql://u:p%40ss%2Fw@h/db", "p@ss/w"},
		"URL raw at":      {"postgres://u:p@ss@h/db", "p@ss"},
		"URL query":       {"postgres://u@h/db?sslmode=disable&password=qu3ry&x=1", "qu3ry"},
		"URL bad port":    {"postgres://u:hunter2@h:port/db", "hunter2"},
		"keyword/value":   {"host=h password=hunter2 dbname=db", "hunter2"},
		"spaced":          {"host=h password = hunter2 dbname=db", "hunter2"},
		"quoted":          {`host=h password='it''s \'q\' x' dbname=db`, `it''s 'q' x`},
		"quoted escapes":  {`host=h password='a\\b c' dbname=db`, `a\b c`},
		"upper case":      {"host=h PASSWORD=hunter2", "hunter2"},
		"sslpassword":     {"host=h sslpassword=k3y", "k3y"},
		"ampersand in kv": {"host=h password=a&b", "a&b"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			text := "cannot parse `" + tt.connStr + "`: " + tt.password + " (" + tt.password + ")"
			if got := redact(text, secrets(tt.connStr, "")); strings.Contains(got, tt.password) {
				t.Errorf("the password shows\ngot:  %s\nfrom: %s", got, text)
			}
		})
	}
}

func TestRedactParsed(t *testing.T) {
	t.Parallel()
	got := redact("auth failed for s3cr3t", secrets("host=h", "s3cr3t"))
	if want := "auth failed for xxxxx"; got != want {
		t.Errorf("wrong text\ngot:  %s\nwant: %s", got, want)
	}
}
