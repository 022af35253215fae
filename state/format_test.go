package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// answered is a record as the executor makes it from one answer: every
// derivable field agrees with its request and response.
func answered(addr, name string, key json.RawMessage, sample int, text string) *Step {
	req := json.RawMessage(`{"messages":[{"content":"say <` + text + `>","role":"user"}],"model":"m"}`)
	d := derive(addr, req, nil)
	resp, _ := json.Marshal(map[string]any{
		"request_id": "rq-" + text, "model": "m-served",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
		"usage":   map[string]any{"input_tokens": 3, "output_tokens": 4, "total_tokens": 7, "prompt_tokens": 3},
	})
	return &Step{
		Address: addr, Name: name, Key: key, Sample: sample, RequestHash: d.hash,
		Request: req, Response: resp, Output: text, ToolCalls: []ToolCall{}, Model: "m-served",
		FinishReason: "stop", Usage: Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}, RequestID: "rq-" + text,
		Cost:      &Cost{USD: 0.0000253, Price: Price{Input: 1.1, Output: 5.5, Source: "catalog"}},
		StartedAt: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), DurationMS: 2, Attempts: 1,
	}
}

// roundTrip encodes s and decodes it again.
func roundTrip(t *testing.T, s *State) (*State, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := s.encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes(), "test")
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	return got, buf.String()
}

func TestFormatRestoresEveryRecord(t *testing.T) {
	t.Parallel()
	s := New()
	s.Serial, s.PromptformVersion = 7, "0.1.0"
	add := func(st *Step) { s.Steps[st.Address] = st }
	add(answered("step.plain", "plain", nil, 0, "a"))
	add(answered("step.n[3]", "n", json.RawMessage("3"), 0, "b"))
	add(answered(`step.k["x[1]"]#2`, "k", json.RawMessage(`"x[1]"`), 2, "c"))
	add(answered(`module.m["a"].step.inner["<&>"]`, "inner", json.RawMessage(`"<&>"`), 0, "d"))

	// What the response does not say is kept: usage summed over tool
	// rounds, a model other than the one that answered, tool calls and
	// parts, a key the address does not spell, no response at all.
	odd := answered("step.rounds", "rounds", nil, 0, "e")
	odd.Usage.InputTokens, odd.Model = 30, "fallback"
	add(odd)
	tools := answered("step.tools", "tools", nil, 0, "")
	tools.Response = json.RawMessage(`{"model":"m","choices":[{"message":{"role":"assistant","content":[{"type":"text","text":"p1"},{"type":"text","text":"p2"}],` +
		`"tool_calls":[{"id":"c1","type":"function","function":{"name":"look","arguments":"{\"q\":1}"}}]},"finish_reason":"tool_calls"}]}`)
	tools.Output, tools.Model, tools.FinishReason, tools.RequestID, tools.Usage = "p1p2", "m", "tool_calls", "", Usage{}
	tools.ToolCalls = []ToolCall{{ID: "c1", Name: "look", Arguments: `{"q":1}`}}
	add(tools)
	nokey := answered("step.lost[1]", "lost", nil, 0, "f")
	add(nokey)
	offline := &Step{Address: "step.offline", Name: "offline", RequestHash: "sha256:not-of-the-request",
		Request: json.RawMessage(`{"a": [1, 2]}`), Output: "text", ToolCalls: []ToolCall{}, Offline: true}
	add(offline)
	s.Outputs["o"] = &Output{Value: json.RawMessage(`{"k":"v"}`), Type: json.RawMessage(`["object",{"k":"string"}]`), Sensitive: true}

	got, text := roundTrip(t, s)
	offline.Request = json.RawMessage(`{"a":[1,2]}`) // written compact
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("decoded state differs (-want +got):\n%s\nfile:\n%s", diff, text)
	}

	// Fields the file leaves out come first when written, so a record
	// whose derivable fields are all derived starts with its request.
	if !strings.Contains(text, "\n    \"step.plain\": {\"request\":{") {
		t.Errorf("the record of step.plain writes what its address, request or response gives:\n%s", text)
	}
	if !strings.Contains(text, `"say <a>"`) {
		t.Errorf("the file escapes < and >:\n%s", text)
	}
	if records := strings.Count(text, "\n    \""); records != len(s.Steps)+len(s.Outputs) {
		t.Errorf("the file has %d record lines, want one per step and output (%d):\n%s", records, len(s.Steps)+len(s.Outputs), text)
	}
	if !strings.Contains(text, `"step.lost[1]": {"key":null,`) {
		t.Errorf("a record without the key its address spells does not say so:\n%s", text)
	}
	if !strings.Contains(text, `"step.rounds": {"model":"fallback","usage":{"input_tokens":30`) {
		t.Errorf("the model and usage the response does not give are not kept:\n%s", text)
	}
}

// sameValue compares JSON texts by the values they hold.
var sameValue = cmp.Comparer(func(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return cmp.Equal(va, vb)
})

func TestFormatReadsVersion1(t *testing.T) {
	t.Parallel()
	s := New()
	s.Version = 1
	st := answered(`step.k["x"]`, "k", json.RawMessage(`"x"`), 0, "a")
	st.RequestID = "" // version 1 omitted an empty request id, and it stays empty
	s.Steps[st.Address] = st
	odd := answered("step.odd", "odd", nil, 0, "b")
	odd.Output = "" // written as "", not derived from the response
	s.Steps[odd.Address] = odd
	v1, err := json.MarshalIndent(s, "", "  ") // what version 1 wrote
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(v1, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got, sameValue); diff != "" {
		t.Errorf("version 1 reads differently (-want +got):\n%s", diff)
	}
	again, _ := roundTrip(t, got)
	if again.Version != Version || cmp.Diff(got.Steps, again.Steps, sameValue) != "" {
		t.Errorf("a version 1 state written as version %d does not read back the same", Version)
	}
}

func TestSplitAddress(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]struct {
		name   string
		key    string
		sample int
	}{
		"step.a":                  {"a", "", 0},
		"step.a[0]":               {"a", "0", 0},
		`step.a["k"]#3`:           {"a", `"k"`, 3},
		`step.a["]["]`:            {"a", `"]["`, 0},
		`module.m[1].step.b["x"]`: {"b", `"x"`, 0},
		"step.a#2":                {"a", "", 2},
		"step.a#02":               {"", "", 0},
		"output.x":                {"", "", 0},
		"mystep.a":                {"", "", 0},
		`step.a[not json]`:        {"", "", 0},
		`module.step.step.c[2]#1`: {"c", "2", 1},
	} {
		name, key, sample := splitAddress(addr)
		if name != want.name || string(key) != want.key || sample != want.sample {
			t.Errorf("splitAddress(%q) = %q, %q, %d; want %q, %q, %d", addr, name, key, sample, want.name, want.key, want.sample)
		}
	}
}

func TestFormatDecodesLinesAsAWhole(t *testing.T) {
	t.Parallel()
	s := New()
	for i := range 2000 { // enough for every processor to take a share
		st := answered(fmt.Sprintf("step.n[%d]", i), "n", json.RawMessage(strconv.Itoa(i)), 0, fmt.Sprint("t", i))
		s.Steps[st.Address] = st
	}
	s.Steps["step.gone"] = nil
	var buf bytes.Buffer
	if err := s.encode(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.Bytes()
	fast, ok := decodeLines(text)
	if !ok {
		t.Fatal("decodeLines does not read what encode writes")
	}
	var whole fileState
	if err := json.Unmarshal(text, &whole); err != nil {
		t.Fatal(err)
	}
	if len(fast.Steps) != len(whole.Steps) || fast.Steps["step.gone"] != nil || fast.Steps["step.n[1999]"].Output != "t1999" {
		t.Errorf("decodeLines read %d records, a whole decode %d", len(fast.Steps), len(whole.Steps))
	}

	// Laid out otherwise (indented by hand, records repeated), the file
	// reads as a whole decode reads it.
	var indented bytes.Buffer
	if err := json.Indent(&indented, text, "", "  "); err != nil {
		t.Fatal(err)
	}
	repeated := bytes.Replace(text, []byte("\n    \"step.n[0]\": {"), []byte("\n    \"step.n[0]\": {\"output\":\"first\"},\n    \"step.n[0]\": {"), 1)
	for name, b := range map[string][]byte{"indented": indented.Bytes(), "repeated": repeated} {
		got, err := decodeState(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(fast, got); diff != "" {
			t.Errorf("%s: decodes differently (-lines +got):\n%s", name, diff)
		}
	}
	broken := bytes.Replace(text, []byte(`"say <t7>"`), []byte(`"say <t7>`), 1)
	if _, ok := decodeLines(broken); ok {
		t.Error("decodeLines read a record that is not JSON")
	}
	if _, err := Decode(broken, "broken"); err == nil || !strings.Contains(err.Error(), "not valid state JSON") {
		t.Errorf("a broken record decodes: %v", err)
	}
}

func TestFormatWritesEachPriceOnce(t *testing.T) {
	t.Parallel()
	s := New()
	for i, price := range []Price{{Input: 1.1, Output: 5.5, Source: "catalog"}, {Input: 3, Output: 15, Source: "config"}, {Input: 1.1, Output: 5.5, Source: "catalog"}} {
		st := answered(fmt.Sprintf("step.n[%d]", i), "n", json.RawMessage(strconv.Itoa(i)), 0, "t")
		st.Cost = &Cost{USD: 0.1 * float64(i+1), Price: price}
		s.Steps[st.Address] = st
	}
	got, text := roundTrip(t, s)
	if n := strings.Count(text, `"source":`); n != 2 {
		t.Errorf("the file writes %d prices for 2 distinct ones:\n%s", n, text)
	}
	if diff := cmp.Diff(s, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("costs read back differently (-want +got):\n%s", diff)
	}

	// A price given in full (by hand) is read; a reference to no price is
	// an error that names the record.
	full := strings.Replace(text, `"cost":{"usd":0.2,"price_ref":1}`, `"cost":{"usd":0.2,"price":{"input":9,"output":9,"source":"hand"}}`, 1)
	if got, err := Decode([]byte(full), "full"); err != nil || got.Steps["step.n[1]"].Cost.Price.Source != "hand" {
		t.Errorf("a price in full is not read: %v", err)
	}
	bad := strings.Replace(text, `"price_ref":1`, `"price_ref":7`, 1)
	if _, err := Decode([]byte(bad), "bad"); err == nil || !strings.Contains(err.Error(), `"step.n[1]" has "price_ref": 7`) {
		t.Errorf("a reference to no price: %v", err)
	}
}
