package state

import (
	"reflect"
	"testing"
)

// FuzzReadResponseFast holds the fast reading of a response to what
// readResponse, by encoding/json, reads of the same bytes, whenever the
// fast one reads it at all.
func FuzzReadResponseFast(f *testing.F) {
	for _, seed := range []string{
		`{"request_id":"r","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi <b>"},"finish_reason":"stop"}],"request":{"max_tokens":16},"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7,"prompt_tokens":3},"http_status_code":200}`,
		`{"model":"m","choices":[{"message":{"content":[{"type":"text","text":"p1"},{"text":"p\u00e92"}],"tool_calls":[{"id":"c1","type":"function","function":{"name":"look","arguments":"{\"q\":1}"}}]},"finish_reason":"tool_calls","tool_calls":[{"id":"c2","function":{"name":"x","arguments":""}}]}]}`,
		`{"choices":[null,{"message":null}],"usage":{"prompt_tokens_details":{"cached_tokens":2,"cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_1h_input_tokens":5}}}}`,
		`{"usage":{"input_tokens":1.5}}`, `{"Model":"m"}`, `{"usage":{},"usage":{"input_tokens":1}}`, `{"model":"a","model":"b"}`,
		`{"choices":[{"message":{"content":"a\nb\\"}}]}`, `null`, `{"model":null}`, `{"x":[1,-2.5e3,true,false,null,{"y":"z"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, slow derived
		if !fast.readResponseFast(b) {
			if !reflect.DeepEqual(fast, derived{}) {
				t.Fatalf("%q: a fast reading that gives up changed what it read into: %+v", b, fast)
			}
			return
		}
		if !slow.readResponse(b) {
			t.Fatalf("%q: the fast reading reads what encoding/json refuses: %+v", b, fast)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%q:\nfast %+v\nslow %+v", b, fast, slow)
		}
	})
}
