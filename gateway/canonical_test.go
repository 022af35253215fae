package gateway

import (
	"bytes"
	"encoding/json"
	"testing"
)

// canonicalSeeds are documents whose canonical spelling has a trap: HTML
// characters the first encoding escaped, escapes of every kind, line and
// paragraph separators, invalid UTF-8, keys that sort differently decoded
// than written, numbers as written, nesting, and a key twice.
var canonicalSeeds = []string{
	`{"b":1,"a":2}`,
	`{"z":{"y":[1,2,{"x":"\u003cb\u003e \u0026"}],"a":null},"m":true}`,
	`{"s":"tab\there \"q\" back\\slash \/ \u00e9 \ud83d\ude00 \u0001"}`,
	"{\"s\":\"sep \u2028 and \u2029\"}",
	"{\"s\":\"bad \xff utf8\"}",
	`{"\u0061b":1,"aa":2,"a":3,"\u00e9":4,"e":5}`,
	`{"n":[1.0,1e10,-0,0.000001,12345678901234567890]}`,
	`{"a":1,"a":2}`,
	` { "spaced" : [ 1 , 2 ] , "e" : { } , "l" : [ ] } `,
	`"top"`, `[]`, `{}`, `null`, `12.50`,
	`{"model":"m","messages":[{"role":"user","content":"Say <hi> & bye"}],"max_tokens":16}`,
}

// TestCanonicalFastMatchesSlow checks that the fast canonical spelling is
// the slow one, byte for byte: request hashes depend on it, and a
// difference would make every recorded answer look changed.
func TestCanonicalFastMatchesSlow(t *testing.T) {
	t.Parallel()
	for _, in := range canonicalSeeds {
		checkCanonical(t, []byte(in))
	}
	// A request as the client encodes it.
	b, err := json.Marshal(hello())
	if err != nil {
		t.Fatal(err)
	}
	checkCanonical(t, b)
}

func checkCanonical(t *testing.T, in []byte) {
	t.Helper()
	want, err := canonicalSlow(in)
	if err != nil {
		return // not JSON: CanonicalJSON fails either way
	}
	got, err := CanonicalJSON(in)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("canonical of %q\ngot:  %q (%v)\nwant: %q", in, got, err, want)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkCanonical(t, in)
	})
}

func BenchmarkCanonical(b *testing.B) {
	in, _ := json.Marshal(hello())
	for b.Loop() {
		if _, err := CanonicalJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}
