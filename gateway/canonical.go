package gateway

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// canonicalFast re-encodes valid JSON as CanonicalJSON does, byte for
// byte, without decoding it into Go values: object members sorted by key,
// numbers and literals as written, strings spelt as the encoder spells
// them (without HTML escaping). A string that needs it (an escape, a
// line or paragraph separator, invalid UTF-8) is decoded and encoded
// again; every other token is copied. It reports false when the input is
// something it does not handle (an object with a key twice), for the
// caller to take the slow way.
func canonicalFast(b []byte) ([]byte, bool) {
	c := canonicalizer{in: b, out: make([]byte, 0, len(b))}
	if !c.value() {
		return nil, false
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, false
	}
	return c.out, true
}

type canonicalizer struct {
	in  []byte
	pos int
	out []byte
}

func (c *canonicalizer) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

// value copies one value at pos to out.
func (c *canonicalizer) value() bool {
	c.space()
	if c.pos >= len(c.in) {
		return false
	}
	switch ch := c.in[c.pos]; {
	case ch == '{':
		return c.object()
	case ch == '[':
		return c.array()
	case ch == '"':
		s, ok := c.str()
		c.out = append(c.out, s...)
		return ok
	default:
		start := c.pos
	scan:
		for ; c.pos < len(c.in); c.pos++ {
			switch c.in[c.pos] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				break scan
			}
		}
		c.out = append(c.out, c.in[start:c.pos]...)
		return c.pos > start
	}
}

// member is one member of an object: its key as decoded, and its key and
// value as they are written out.
type member struct {
	key     string
	encoded []byte
}

func (c *canonicalizer) object() bool {
	c.pos++ // {
	var members []member
	for {
		c.space()
		if c.pos < len(c.in) && c.in[c.pos] == '}' && len(members) == 0 {
			c.pos++
			break
		}
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return false
		}
		keyText, ok := c.str()
		if !ok {
			return false
		}
		var key string
		if json.Unmarshal(keyText, &key) != nil {
			return false
		}
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return false
		}
		c.pos++
		saved := c.out
		c.out = append(append([]byte(nil), keyText...), ':')
		if !c.value() {
			return false
		}
		members = append(members, member{key: key, encoded: c.out})
		c.out = saved
		c.space()
		if c.pos >= len(c.in) {
			return false
		}
		if c.in[c.pos] == ',' {
			c.pos++
			continue
		}
		if c.in[c.pos] != '}' {
			return false
		}
		c.pos++
		break
	}
	slices.SortFunc(members, func(a, b member) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	for i := 1; i < len(members); i++ {
		if members[i].key == members[i-1].key {
			return false // decoding keeps the last: the slow way knows which
		}
	}
	c.out = append(c.out, '{')
	for i, m := range members {
		if i > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, m.encoded...)
	}
	c.out = append(c.out, '}')
	return true
}

func (c *canonicalizer) array() bool {
	c.pos++ // [
	c.out = append(c.out, '[')
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return true
	}
	for {
		if !c.value() {
			return false
		}
		c.space()
		if c.pos >= len(c.in) {
			return false
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return true
		default:
			return false
		}
	}
}

// str reads the string at pos and returns it as the encoder spells it.
func (c *canonicalizer) str() ([]byte, bool) {
	start := c.pos
	c.pos++ // "
	plain := true
	for c.pos < len(c.in) {
		switch ch := c.in[c.pos]; {
		case ch == '"':
			c.pos++
			raw := c.in[start:c.pos]
			if plain && utf8.Valid(raw) && !bytes.Contains(raw, []byte("\u2028")) && !bytes.Contains(raw, []byte("\u2029")) {
				return raw, true
			}
			return respell(raw)
		case ch == '\\':
			plain = false
			c.pos += 2
		case ch < 0x20:
			return nil, false // not valid JSON
		default:
			c.pos++
		}
	}
	return nil, false
}

// respell decodes a JSON string and encodes it again, without HTML
// escaping, as CanonicalJSON's encoder does.
func respell(raw []byte) ([]byte, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) != nil {
		return nil, false
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), true
}
