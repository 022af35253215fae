package state

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// readResponseFast is readResponse without reflection, for the responses
// the executor records: it walks the JSON once, reading only the members
// derive needs and skipping the rest. It reports false for anything it
// does not read exactly as encoding/json would (a member named in another
// case, an escaped string it cannot spell, a count that is not a plain
// integer, text that is not JSON), leaving d for readResponse to fill.
func (d *derived) readResponseFast(b []byte) bool {
	s := scanner{b: b}
	var r derived
	r.toolCalls = []ToolCall{}
	var text strings.Builder
	top := members{names: []string{"request_id", "model", "choices", "usage"}}
	ok := s.object(func(key string) bool {
		return s.member(&top, key, func() bool {
			switch key {
			case "request_id":
				return s.str(&r.requestID)
			case "model":
				return s.str(&r.model)
			case "choices":
				return s.array(func() bool { return s.choice(&r, &text) })
			}
			return s.usage(&r.usage)
		})
	})
	s.ws()
	if !ok || s.i != len(s.b) {
		return false
	}
	r.output = text.String()
	d.requestID, d.model, d.output, d.toolCalls, d.finishReason, d.usage = r.requestID, r.model, r.output, r.toolCalls, r.finishReason, r.usage
	return true
}

// members tells the members of an object the fast reading reads from
// those it skips. It gives up (false) on what encoding/json would read
// otherwise than in one pass: a name it reads spelt in another case
// (encoding/json matches names without regard to case) or given twice
// (encoding/json decodes the second into what the first filled).
type members struct {
	names []string
	seen  uint32
}

// read reports whether key is to be read (true, true), skipped (false,
// true), or makes the fast reading give up (ok false).
func (m *members) read(key string) (read, ok bool) {
	for i, n := range m.names {
		switch {
		case key == n && m.seen&(1<<i) == 0:
			m.seen |= 1 << i
			return true, true
		case strings.EqualFold(key, n):
			return false, false
		}
	}
	return false, true
}

// member calls read for a member to read, skips any other, and gives up
// as members.read says.
func (s *scanner) member(m *members, key string, read func() bool) bool {
	r, ok := m.read(key)
	switch {
	case !ok:
		return false
	case r:
		return read()
	}
	return s.skip()
}

// choice reads one element of choices: its message's text and tool calls,
// its own tool calls and its finish reason (the first non-empty one wins).
func (s *scanner) choice(r *derived, text *strings.Builder) bool {
	if s.null() {
		return true
	}
	var content, finish string
	var msgCalls, calls []ToolCall
	choice := members{names: []string{"message", "tool_calls", "finish_reason"}}
	ok := s.object(func(key string) bool {
		return s.member(&choice, key, func() bool {
			switch key {
			case "message":
				msg := members{names: []string{"content", "tool_calls"}}
				return s.null() || s.object(func(key string) bool {
					return s.member(&msg, key, func() bool {
						if key == "content" {
							return s.content(&content)
						}
						return s.toolCalls(&msgCalls)
					})
				})
			case "tool_calls":
				return s.toolCalls(&calls)
			}
			return s.str(&finish)
		})
	})
	if !ok {
		return false
	}
	text.WriteString(content)
	r.toolCalls = append(append(r.toolCalls, msgCalls...), calls...)
	if r.finishReason == "" {
		r.finishReason = finish
	}
	return true
}

// content reads a message's content: a string, null, or parts with text.
func (s *scanner) content(out *string) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.str(out)
	}
	var sb strings.Builder
	ok := s.array(func() bool {
		var part string
		m := members{names: []string{"text"}}
		if !s.null() && !s.object(func(key string) bool {
			return s.member(&m, key, func() bool { return s.str(&part) })
		}) {
			return false
		}
		sb.WriteString(part)
		return true
	})
	*out = sb.String()
	return ok
}

// toolCalls reads a list of tool calls.
func (s *scanner) toolCalls(out *[]ToolCall) bool {
	if s.null() {
		return true
	}
	return s.array(func() bool {
		var tc ToolCall
		call := members{names: []string{"id", "function"}}
		if !s.null() && !s.object(func(key string) bool {
			return s.member(&call, key, func() bool {
				if key == "id" {
					return s.str(&tc.ID)
				}
				fn := members{names: []string{"name", "arguments"}}
				return s.null() || s.object(func(key string) bool {
					return s.member(&fn, key, func() bool {
						if key == "name" {
							return s.str(&tc.Name)
						}
						return s.str(&tc.Arguments)
					})
				})
			})
		}) {
			return false
		}
		*out = append(*out, tc)
		return true
	})
}

// usage reads the counts derive takes from a response's usage.
func (s *scanner) usage(u *Usage) bool {
	if s.null() {
		return true
	}
	counts := members{names: []string{"input_tokens", "output_tokens", "total_tokens", "prompt_tokens_details"}}
	return s.object(func(key string) bool {
		return s.member(&counts, key, func() bool {
			switch key {
			case "input_tokens":
				return s.int(&u.InputTokens)
			case "output_tokens":
				return s.int(&u.OutputTokens)
			case "total_tokens":
				return s.int(&u.TotalTokens)
			}
			details := members{names: []string{"cached_tokens", "cache_creation"}}
			return s.null() || s.object(func(key string) bool {
				return s.member(&details, key, func() bool {
					if key == "cached_tokens" {
						return s.int(&u.CacheReadTokens)
					}
					var five, hour int
					cache := members{names: []string{"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}}
					ok := s.null() || s.object(func(key string) bool {
						return s.member(&cache, key, func() bool {
							if key == "ephemeral_5m_input_tokens" {
								return s.int(&five)
							}
							return s.int(&hour)
						})
					})
					u.CacheWriteTokens, u.CacheWrite1hTokens = five+hour, hour
					return ok
				})
			})
		})
	})
}

// scanner reads JSON text from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// null reads a null, if that is what comes next.
func (s *scanner) null() bool {
	s.ws()
	if strings.HasPrefix(string(s.b[s.i:min(s.i+4, len(s.b))]), "null") {
		s.i += 4
		return true
	}
	return false
}

// object reads an object, calling member for each member with the scanner
// at its value, which member must read.
func (s *scanner) object(member func(key string) bool) bool {
	return s.list('{', '}', func() bool {
		var key string
		if !s.str(&key) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		return member(key)
	})
}

// array reads an array, calling elem for each element.
func (s *scanner) array(elem func() bool) bool { return s.list('[', ']', elem) }

// list reads what open and close enclose, elements separated by commas,
// calling elem to read each.
func (s *scanner) list(open, close byte, elem func() bool) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != open {
		return false
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == close {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case close:
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string into out; null leaves out as it is, as
// encoding/json does. A string with escapes is decoded by encoding/json.
func (s *scanner) str(out *string) bool {
	if s.null() {
		return true
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	start := s.i
	s.i++
	plain := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if plain {
				*out = string(s.b[start+1 : s.i-1])
				return true
			}
			return json.Unmarshal(s.b[start:s.i], out) == nil
		case c == '\\':
			plain = false
			s.i += 2
		case c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			plain = false // invalid UTF-8 is replaced by encoding/json
			s.i++
		default:
			s.i++
		}
	}
	return false
}

// int reads a plain integer, as encoding/json reads one into an int.
func (s *scanner) int(out *int) bool {
	if s.null() {
		return true
	}
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil || (s.i < len(s.b) && strings.IndexByte(".eE", s.b[s.i]) >= 0) {
		return false
	}
	if len(s.b[start:s.i]) > 1 && (s.b[start] == '0' || strings.HasPrefix(string(s.b[start:s.i]), "-0")) {
		return false // a leading zero is not JSON
	}
	*out = n
	return true
}

// skip reads any value, checking only what it must to find its end.
func (s *scanner) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(func(string) bool { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		var discard string
		return s.str(&discard)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(s.b[s.i:min(s.i+len(lit), len(s.b))]), lit) {
				s.i += len(lit)
				return true
			}
		}
		return false
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("+-.eE0123456789", s.b[s.i]) >= 0 {
			s.i++
		}
		return json.Valid(s.b[start:s.i])
	}
	return false
}
