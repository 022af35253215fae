package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/promptform/promptform/planner"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// extractJSON returns the JSON document in a model's answer: the whole text
// when it parses as JSON; else the content of the first ```json (or bare ```)
// fenced block that parses; else the first balanced {…} or […] span that
// parses, found by a scan that respects strings and escapes. The document is
// returned trimmed of surrounding white space. ok is false when the text
// holds no JSON at all.
func extractJSON(text string) (doc string, ok bool) {
	if t := strings.TrimSpace(text); t != "" && json.Valid([]byte(t)) {
		return t, true
	}
	if doc, ok := fencedJSON(text); ok {
		return doc, true
	}
	return balancedJSON(text)
}

// fencedJSON returns the content of the first fenced code block, tagged json
// or untagged, whose content parses as JSON.
func fencedJSON(text string) (string, bool) {
	const fence = "```"
	for {
		start := strings.Index(text, fence)
		if start < 0 {
			return "", false
		}
		rest := text[start+len(fence):]
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			return "", false
		}
		info := strings.ToLower(strings.TrimSpace(rest[:nl]))
		body := rest[nl+1:]
		end := strings.Index(body, fence)
		if end < 0 {
			return "", false
		}
		if doc := strings.TrimSpace(body[:end]); (info == "" || info == "json") && json.Valid([]byte(doc)) {
			return doc, true
		}
		text = body[end+len(fence):]
	}
}

// balancedJSON returns the first span that opens with { or [, closes with
// its matching bracket and parses as JSON.
//
// A scan from one opening bracket also settles every bracket it meets
// outside a string, since a scan starting there would see the same string
// state from then on; ends remembers those results so that text full of
// unclosed brackets costs one pass, not one pass per bracket. Parsing is
// tried on at most maxJSONCandidates balanced spans, which bounds the work
// on deeply nested text that is not JSON.
func balancedJSON(text string) (string, bool) {
	ends := make([]int, len(text)) // 0 unknown, -1 unbalanced, else the span's end
	tries := 0
	for i := 0; i < len(text) && tries < maxJSONCandidates; i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		if ends[i] == 0 {
			scanBalanced(text, i, ends)
		}
		if end := ends[i]; end > i {
			if json.Valid([]byte(text[i:end])) {
				return text[i:end], true
			}
			tries++
		}
	}
	return "", false
}

// maxJSONCandidates bounds how many balanced spans balancedJSON parses.
const maxJSONCandidates = 100

// scanBalanced scans text from the opening bracket at start, skipping
// brackets inside JSON strings, and records in ends where each bracket it
// opens is closed (the end of its span), or -1 where it is never closed or closed by
// the wrong bracket.
func scanBalanced(text string, start int, ends []int) {
	var open []int // positions of the brackets not yet closed
	defer func() {
		for _, p := range open {
			ends[p] = -1
		}
	}()
	inString, escaped := false, false
	for i := start; i < len(text); i++ {
		c := text[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			open = append(open, i)
		case c == '}' || c == ']':
			if len(open) == 0 || closer(text[open[len(open)-1]]) != c {
				return
			}
			ends[open[len(open)-1]] = i + 1
			if open = open[:len(open)-1]; len(open) == 0 {
				return
			}
		}
	}
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// resultSchema is a compiled JSON Schema that a step's answer must match. It
// is compiled once per schema and is safe for concurrent use.
type resultSchema struct {
	name   string
	schema *jsonschema.Schema
}

// compileSchema compiles the JSON Schema document schema, named name for
// error messages. The document is read as draft 2020-12 unless it says
// otherwise with "$schema", and it may not refer to other resources: no
// file or URL is ever loaded.
func compileSchema(name string, schema []byte) (*resultSchema, error) {
	sch, err := planner.CompileJSONSchema(name, schema)
	if err != nil && !json.Valid(schema) {
		return nil, docErrorf(err, "schema %q is not valid JSON: %w", name, err)
	}
	if err != nil {
		var invalid *jsonschema.SchemaValidationError
		if errors.As(err, &invalid) {
			return nil, &mismatchError{what: fmt.Sprintf("schema %q is not a valid JSON Schema", name), problems: problemsOf(invalid.Err)}
		}
		return nil, docErrorf(err, "schema %q: %w", name, err)
	}
	return &resultSchema{name: name, schema: sch}, nil
}

// validate parses doc, keeping numbers exact (as json.Number), and checks it
// against the schema. It returns the parsed document, or a nil document and
// an error whose text lists every problem by location, fit to show a user
// and to feed back to the model.
func (s *resultSchema) validate(doc string) (any, error) {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return nil, docErrorf(err, "answer is not valid JSON: %w", err)
	}
	if err := s.schema.Validate(v); err != nil {
		return nil, &mismatchError{what: fmt.Sprintf("answer does not match schema %q", s.name), problems: problemsOf(err)}
	}
	return v, nil
}

// mismatchError reports a document that fails a JSON Schema, one problem a
// line, each as "at /tags/0: got number, want string".
type mismatchError struct {
	what     string
	problems []string
}

func (e *mismatchError) Error() string { return errorPrefix + e.message() }

// message is what is wrong, without the package's prefix.
func (e *mismatchError) message() string {
	if len(e.problems) == 1 {
		return e.what + ": " + e.problems[0]
	}
	return e.what + ":\n- " + strings.Join(e.problems, "\n- ")
}

// errorPrefix begins the text of this package's errors.
const errorPrefix = "executor: "

// docError says why a JSON document (an answer, a schema) cannot be used:
// its text is the package's prefix and msg, and msg alone is what a model
// is told.
type docError struct {
	msg string
	err error // the cause
}

// docErrorf returns the docError of a cause, its message formatted.
func docErrorf(cause error, format string, args ...any) *docError {
	return &docError{msg: fmt.Errorf(format, args...).Error(), err: cause}
}

func (e *docError) Error() string { return errorPrefix + e.msg }
func (e *docError) Unwrap() error { return e.err }

// problemsOf flattens a validation error into sorted, distinct lines, one per
// failing leaf of the error tree: "at /tags/0: got number, want string".
func problemsOf(err error) []string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []string{err.Error()}
	}
	seen := map[string]bool{}
	collectProblems(*verr.DetailedOutput(), seen)
	lines := make([]string, 0, len(seen))
	for line := range seen {
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return lines
}

func collectProblems(u jsonschema.OutputUnit, seen map[string]bool) {
	for _, cause := range u.Errors {
		collectProblems(cause, seen)
	}
	if u.Error == nil {
		return
	}
	loc := u.InstanceLocation
	if loc == "" {
		loc = "the top level"
	}
	seen[fmt.Sprintf("at %s: %s", loc, u.Error)] = true
}

// decodeResult decodes a JSON document that has passed validation into a
// cty value of type ty, keeping numbers exact. An attribute of an object type
// that is absent or null in the document decodes to a null of its type (so
// an optional(...) attribute the model left out is null, and defaults are the
// caller's to apply); ctyjson.Unmarshal does that for every attribute, which
// is why a required one must be enforced by the schema beforehand. When ty is
// cty.NilType (the schema was a raw JSON Schema document, not an HCL type)
// the value has the type the document implies, with JSON arrays as tuples
// and objects as objects.
func decodeResult(doc string, ty cty.Type) (cty.Value, error) {
	if ty == cty.NilType {
		implied, err := ctyjson.ImpliedType([]byte(doc))
		if err != nil {
			return cty.NilVal, docErrorf(err, "decode answer: %w", err)
		}
		ty = implied
	}
	val, err := ctyjson.Unmarshal([]byte(doc), ty)
	if err != nil {
		return cty.NilVal, docErrorf(err, "decode answer: %w", err)
	}
	return val, nil
}
