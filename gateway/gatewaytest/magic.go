package gatewaytest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/promptform/promptform/gateway"
)

// Magic model ids: a chat request for one of these gets a canned answer
// (see the package doc).
const (
	ModelFail500       = "fail-500"
	ModelFail400       = "fail-400"
	ModelFail401       = "fail-401"
	ModelFail429       = "fail-429"
	ModelMalformedJSON = "malformed-json"
)

// isMagic reports whether model is a magic id.
func isMagic(model string) bool {
	switch model {
	case ModelFail500, ModelFail400, ModelFail401, ModelFail429, ModelMalformedJSON:
		return true
	}
	return false
}

// magic returns the canned reply for a magic model id; ok is false for any
// other model.
func (s *Server) magic(req *gateway.Request) (rep Reply, ok bool) {
	switch req.Model {
	case ModelFail500:
		if fb, ok := fallback(req); ok {
			return Reply{}.finish(fb), true
		}
		return Reply{Status: http.StatusInternalServerError,
			Body: nestedError(http.StatusInternalServerError, "internal server error (gatewaytest "+ModelFail500+")")}, true
	case ModelFail400:
		return ErrorReply(http.StatusBadRequest, "invalid request body",
			"model "+ModelFail400+" is not supported"), true
	case ModelFail401:
		return authError(), true
	case ModelFail429:
		return s.throttle(req), true
	case ModelMalformedJSON:
		return Reply{Raw: `{"request_id":"` + requestID(req) + `","choices":[{"message":{"role":"assistant","content":"trunc`}, true
	}
	return Reply{}, false
}

// throttle answers fail-429: 429 and success alternately for each distinct
// request.
func (s *Server) throttle(req *gateway.Request) Reply {
	h := requestHash(req)
	s.mu.Lock()
	wasThrottled := s.throttled[h]
	if wasThrottled {
		delete(s.throttled, h)
	} else {
		s.throttled[h] = true
	}
	s.mu.Unlock()
	if wasThrottled {
		return Reply{}
	}
	return Reply{
		Status: http.StatusTooManyRequests,
		Header: http.Header{
			"Retry-After":           {"0"},
			"X-Ratelimit-Limit":     {"30"},
			"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Reset":     {"60"},
			"X-Ratelimit-Model":     {req.Model},
			"X-Ratelimit-Service":   {"llmgw"},
		},
		Body: map[string]any{
			"request_id": requestID(req),
			"message":    "too many requests for this action",
			"code":       http.StatusTooManyRequests,
		},
	}
}

// fallback returns the request as the first fallbacks[] entry whose model
// is not magic makes it: that entry's model, and its overrides on top of the
// request.
func fallback(req *gateway.Request) (*gateway.Request, bool) {
	for _, fb := range req.Fallbacks {
		if isMagic(fb.Model) {
			continue
		}
		next := *req
		next.Model, next.Fallbacks, next.FallbackConfig = fb.Model, nil, nil
		if fb.Messages != nil {
			next.Messages = fb.Messages
		}
		if fb.Temperature != nil {
			next.Temperature = fb.Temperature
		}
		if fb.MaxTokens != nil {
			next.MaxTokens = fb.MaxTokens
		}
		return &next, true
	}
	return nil, false
}

// DefaultModels returns the catalog a new Server serves: a few real model
// ids, each with its own context_length, supported_parameters and
// top_provider.max_completion_tokens, then the magic ids (which support
// everything). Among them:
//
//   - "claude-haiku-4-5-20251001", "claude-sonnet-4-6", "gemini-2.5-flash"
//     and "gpt-5-mini" support everything: max_tokens, temperature, tools,
//     tool_choice, response_format and stream;
//   - "qwen3.5-4b-32k-fast" (context 32768) supports only max_tokens,
//     temperature and stream: no tools, no response_format;
//   - "gpt-oss-20b" supports everything but stream, as in the live catalog.
//
// The real ids carry pricing in USD per million tokens, in the shape the
// gateway serves: a global tier and a us tier 10% dearer (claude-haiku:
// global 1/5, us 1.1/5.5, with cache prices); the magic ids have none, so
// they are unpriced.
//
// Each call returns a new slice, so a test may change it and pass it to
// SetModels.
func DefaultModels() []gateway.Model {
	full := []string{"max_tokens", "temperature", "tools", "tool_choice", "response_format", "stream"}
	entry := func(id, creator string, context, maxOut int, params []string) gateway.Model {
		return gateway.Model{ID: id, Name: id, Creator: creator, ContextLength: context,
			SupportedParameters: append([]string{}, params...),
			TopProvider:         &gateway.TopProvider{MaxCompletionTokens: maxOut},
			AvailableRegions:    []string{"us", "global"}}
	}
	priced := func(m gateway.Model, input, output float64) gateway.Model {
		m.Pricing = json.RawMessage(fmt.Sprintf(`{"global":{"prompt":%g,"completions":%g,"input_cache_read":%g,"input_cache_write":%g},`+
			`"us":{"prompt":%g,"completions":%g,"input_cache_read":%g,"input_cache_write":%g},"regional_increase_percent":10}`,
			input, output, input/10, input*1.25, input*1.1, output*1.1, input*1.1/10, input*1.1*1.25))
		return m
	}
	models := []gateway.Model{
		priced(entry("claude-haiku-4-5-20251001", "anthropic", 200000, 64000, full), 1, 5),
		priced(entry("claude-sonnet-4-6", "anthropic", 200000, 64000, full), 3, 15),
		priced(entry("gemini-2.5-flash", "google", 1048576, 65536, full), 0.3, 2.5),
		priced(entry("gpt-5-mini", "openai", 400000, 128000, full), 0.25, 2),
		priced(entry("gpt-oss-20b", "openai", 131072, 32768, full[:5]), 0.1, 0.5),
		priced(entry("qwen3.5-4b-32k-fast", "assemblyai", 32768, 8192, []string{"max_tokens", "temperature", "stream"}), 0.05, 0.2),
	}
	for _, id := range []string{ModelFail400, ModelFail401, ModelFail429, ModelFail500, ModelMalformedJSON} {
		models = append(models, entry(id, "gatewaytest", 200000, 8192, full))
	}
	return models
}
