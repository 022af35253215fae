package gateway

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Usage holds token counts. The gateway sends input/output names and, live,
// the prompt/completion names too; UnmarshalJSON fills each pair from the
// other when one is missing.
type Usage struct {
	InputTokens             int                      `json:"input_tokens"`
	OutputTokens            int                      `json:"output_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokens            int                      `json:"prompt_tokens,omitempty"`
	CompletionTokens        int                      `json:"completion_tokens,omitempty"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitempty"`
}

// UnmarshalJSON decodes usage in either naming. It never fails on a count
// of an odd shape, since a whole paid answer must not be lost over its usage:
// a number sent as a string ("12") is read as the number, a fraction is cut
// to its integer part, and any other value (a word, a boolean, an array, a
// number too big for an int) is read as zero; a usage that is not an object
// is all zeros.
func (u *Usage) UnmarshalJSON(b []byte) error {
	type plain Usage
	var p plain
	// Usage as it should be decodes as it is; only what does not (a count
	// of an odd shape) is re-encoded with integers only, and decoded again.
	if json.Unmarshal(b, &p) != nil {
		p = plain{}
		if err := json.Unmarshal(integersOnly(b), &p); err != nil {
			return err
		}
	}
	if p.InputTokens == 0 {
		p.InputTokens = p.PromptTokens
	}
	if p.OutputTokens == 0 {
		p.OutputTokens = p.CompletionTokens
	}
	if p.TotalTokens == 0 {
		p.TotalTokens = p.InputTokens + p.OutputTokens
	}
	*u = Usage(p)
	return nil
}

// CacheTokens returns the input tokens read from the prompt cache and
// written to it, and of the writes those kept for an hour; all counted
// within InputTokens.
func (u Usage) CacheTokens() (read, write, write1h int) {
	if d := u.PromptTokensDetails; d != nil {
		read = d.CachedTokens
		if c := d.CacheCreation; c != nil {
			write, write1h = c.Ephemeral5mInputTokens+c.Ephemeral1hInputTokens, c.Ephemeral1hInputTokens
		}
	}
	return read, write, write1h
}

// PromptTokensDetails is usage.prompt_tokens_details.
type PromptTokensDetails struct {
	CachedTokens  int            `json:"cached_tokens,omitempty"`
	AudioTokens   int            `json:"audio_tokens,omitempty"`
	CacheCreation *CacheCreation `json:"cache_creation,omitempty"`
}

// CacheCreation counts tokens written to the prompt cache.
type CacheCreation struct {
	Ephemeral5mInputTokens int `json:"ephemeral_5m_input_tokens,omitempty"`
	Ephemeral1hInputTokens int `json:"ephemeral_1h_input_tokens,omitempty"`
}

// CompletionTokensDetails is usage.completion_tokens_details.
type CompletionTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
}

// integersOnly re-encodes a JSON object keeping only what decodes into an
// int: numbers and numeric strings, as integers, in objects at any depth.
// Anything else is left out, and a value that is not an object gives {}.
func integersOnly(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return []byte("{}")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return []byte("{}")
	}
	out, err := json.Marshal(keepIntegers(obj))
	if err != nil {
		return []byte("{}")
	}
	return out
}

// usageObject reports whether a field of usage holds an object (every
// other field holds a count), its name matched as encoding/json matches
// names to fields: without regard to case.
func usageObject(k string) bool {
	for _, name := range []string{"prompt_tokens_details", "completion_tokens_details", "cache_creation"} {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// keepIntegers returns obj with every count read as an integer, the nested
// objects usageObject names kept alike, and every other value dropped (an
// object where a count belongs, a count where an object belongs).
func keepIntegers(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if t, ok := v.(map[string]any); ok || usageObject(k) {
			if ok && usageObject(k) {
				out[k] = keepIntegers(t)
			}
			continue
		}
		switch t := v.(type) {
		case json.Number:
			if n, ok := toInt(string(t)); ok {
				out[k] = n
			}
		case string:
			if n, ok := toInt(strings.TrimSpace(t)); ok {
				out[k] = n
			}
		}
	}
	return out
}

// toInt reads s as an integer, cutting a fraction; ok is false when s is
// not a number or is out of the range of an int.
func toInt(s string) (int, bool) {
	if n, err := strconv.ParseInt(s, 10, strconv.IntSize); err == nil {
		return int(n), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) >= 1<<(strconv.IntSize-1) {
		return 0, false
	}
	return int(f), true
}
