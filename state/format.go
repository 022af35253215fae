package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The file format, version 2.
//
// Version 1 wrote the state indented, and each record kept what its
// response already says a second time: the answer's text as "output", and
// its model, finish reason, usage, tool calls and request id; the address
// both as the record's key and inside it, with the step's name, key and
// sample index that the address spells; and the hash of the request beside
// the request. At 100,000 small records that was 3.4 times the bytes of the
// requests and responses themselves.
//
// Version 2 writes one record per line, compact (so a change to one
// instance is a one-line diff in version control), and leaves out of a
// record every field that it can derive exactly from the rest: the address
// from the record's key; name, key and sample from the address; the request
// hash from the request; output, tool calls, model, finish reason, usage and
// request id from the response. The writer derives each such field and
// leaves it out only when the derivation gives back the very value
// recorded, so reading restores every record as it was; a field that
// differs (the usage summed over tool rounds, the model of a fallback that
// served) is written as before. The price a record's cost was reckoned at
// is written once in the file's "prices" list, the record's cost naming it
// by its place there ("price_ref"): a run of 100,000 calls to one model has
// one price. Reading version 1 is unchanged: a field it omitted stays empty.

// fileStep is a record as version 2 writes it: the fields the reader can
// derive are pointers, absent when derivable, shadowing Step's own.
type fileStep struct {
	Address      *string         `json:"address,omitempty"`
	Name         *string         `json:"name,omitempty"`
	Key          json.RawMessage `json:"key,omitempty"` // null: none, though the address has one
	Sample       *int            `json:"sample,omitempty"`
	RequestHash  *string         `json:"request_hash,omitempty"`
	Output       *string         `json:"output,omitempty"`
	ToolCalls    *[]ToolCall     `json:"tool_calls,omitempty"`
	Model        *string         `json:"model,omitempty"`
	FinishReason *string         `json:"finish_reason,omitempty"`
	Usage        *Usage          `json:"usage,omitempty"`
	RequestID    *string         `json:"request_id,omitempty"`
	*Step
	Cost *fileCost `json:"cost,omitempty"` // written after the record's own fields
}

// fileCost is a record's cost as version 2 writes it: the price by its
// place in the file's prices (Ref), or, in a file edited by hand, in full.
type fileCost struct {
	USD   float64 `json:"usd"`
	Price *Price  `json:"price,omitempty"`
	Ref   *int    `json:"price_ref,omitempty"`
}

// prices numbers the distinct prices of a state's records, for the file's
// prices list.
type prices struct {
	list []Price
	ref  map[Price]int
}

// roundPrice is p as the file writes it.
func roundPrice(p Price) Price {
	for _, v := range []*float64{&p.Input, &p.Output, &p.CacheRead, &p.CacheWrite, &p.CacheWrite1h} {
		*v = round12(*v)
	}
	return p
}

// pricesOf lists the prices of m's records, in the order of their first
// record by address.
func pricesOf(m map[string]*Step, keys []string) *prices {
	ps := &prices{ref: map[Price]int{}}
	for _, k := range keys {
		if st := m[k]; st != nil && st.Cost != nil {
			p := roundPrice(st.Cost.Price)
			if _, ok := ps.ref[p]; !ok {
				ps.ref[p] = len(ps.list)
				ps.list = append(ps.list, p)
			}
		}
	}
	return ps
}

// derived is what a record's address, request and response say of it.
type derived struct {
	address string // the record's key in the file: restore's, not derive's
	name    string
	key     json.RawMessage
	sample  int
	hash    string

	answer       bool // the response decoded
	output       string
	toolCalls    []ToolCall
	model        string
	finishReason string
	usage        Usage
	requestID    string
}

// derive works out what the reader can restore of a record filed under
// addr, from the bytes of its request and response as the file holds them.
func derive(addr string, request, response json.RawMessage) derived {
	var d derived
	d.name, d.key, d.sample = splitAddress(addr)
	if len(request) > 0 {
		sum := sha256.Sum256(request)
		d.hash = "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(response) > 0 {
		d.answer = d.readResponseFast(response) || d.readResponse(response)
	}
	return d
}

// splitAddress returns the step name, the key as JSON (nil for none) and
// the sample index an instance address spells: step.NAME, step.NAME[KEY],
// step.NAME[KEY]#N, any of them after a module path. What it cannot read
// gives what a record never holds (an empty name), so the writer keeps the
// fields.
func splitAddress(addr string) (name string, key json.RawMessage, sample int) {
	if i := strings.LastIndexByte(addr, '#'); i >= 0 {
		// A # in a quoted key is followed by more of the key, never by a
		// plain whole number alone.
		n, err := strconv.Atoi(addr[i+1:])
		if err != nil || n <= 0 || strconv.Itoa(n) != addr[i+1:] {
			return "", nil, 0
		}
		addr, sample = addr[:i], n
	}
	if strings.HasSuffix(addr, "]") {
		// The key is the JSON text between the last '[' that starts one and
		// the closing ']'; a string key may itself hold brackets.
		for i := strings.LastIndexByte(addr, '['); i > 0; i = strings.LastIndexByte(addr[:i], '[') {
			k := addr[i+1 : len(addr)-1]
			if json.Valid([]byte(k)) {
				addr, key = addr[:i], json.RawMessage(k)
				break
			}
		}
		if key == nil {
			return "", nil, 0
		}
	}
	i := strings.LastIndex(addr, "step.")
	if i < 0 || (i > 0 && addr[i-1] != '.') {
		return "", nil, 0
	}
	return addr[i+len("step."):], key, sample
}

// readResponse fills the fields a response holds, as the executor records
// them: the text of every choice, the tool calls of every choice from both
// places, the first finish reason, the usage. It reports whether the
// response decoded.
func (d *derived) readResponse(b json.RawMessage) bool {
	type call struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	var r struct {
		RequestID string `json:"request_id"`
		Model     string `json:"model"`
		Choices   []struct {
			Message struct {
				Content   json.RawMessage `json:"content"`
				ToolCalls []call          `json:"tool_calls"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
			ToolCalls    []call `json:"tool_calls"`
		} `json:"choices"`
		Usage *struct {
			InputTokens         int `json:"input_tokens"`
			OutputTokens        int `json:"output_tokens"`
			TotalTokens         int `json:"total_tokens"`
			PromptTokensDetails *struct {
				CachedTokens  int `json:"cached_tokens"`
				CacheCreation *struct {
					FiveMinutes int `json:"ephemeral_5m_input_tokens"`
					OneHour     int `json:"ephemeral_1h_input_tokens"`
				} `json:"cache_creation"`
			} `json:"prompt_tokens_details"`
		} `json:"usage"`
	}
	if json.Unmarshal(b, &r) != nil {
		return false
	}
	d.requestID, d.model = r.RequestID, r.Model
	var text strings.Builder
	d.toolCalls = []ToolCall{}
	for _, c := range r.Choices {
		if !contentText(&text, c.Message.Content) {
			return false
		}
		for _, tc := range append(c.Message.ToolCalls, c.ToolCalls...) {
			d.toolCalls = append(d.toolCalls, ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if d.finishReason == "" {
			d.finishReason = c.FinishReason
		}
	}
	d.output = text.String()
	if u := r.Usage; u != nil {
		d.usage = Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, TotalTokens: u.TotalTokens}
		if p := u.PromptTokensDetails; p != nil {
			d.usage.CacheReadTokens = p.CachedTokens
			if c := p.CacheCreation; c != nil {
				d.usage.CacheWriteTokens = c.FiveMinutes + c.OneHour
				d.usage.CacheWrite1hTokens = c.OneHour
			}
		}
	}
	return true
}

// contentText appends a message content's text: a string, or the text of
// an array of parts; null has none. It reports whether it read the content.
func contentText(sb *strings.Builder, raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return true
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return false
		}
		sb.WriteString(s)
		return true
	case raw[0] == '[':
		var parts []struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(raw, &parts) != nil {
			return false
		}
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		return true
	}
	return false
}

// slim returns st as version 2 writes it under addr, its request and
// response compacted, its price by its place in ps: the derivable fields
// that derive gives back exactly are left out.
func slim(addr string, st *Step, ps *prices) *fileStep {
	cp := *st
	cp.Request = compactJSON(st.Request)
	cp.Response = compactJSON(st.Response)
	d := derive(addr, cp.Request, cp.Response)
	f := &fileStep{Step: &cp}
	if st.Cost != nil {
		ref := ps.ref[roundPrice(st.Cost.Price)]
		f.Cost = &fileCost{USD: round12(st.Cost.USD), Ref: &ref}
	}
	if st.Address != addr {
		f.Address = &st.Address
	}
	if st.Name != d.name {
		f.Name = &st.Name
	}
	if !bytes.Equal(st.Key, d.key) {
		f.Key = st.Key
		if f.Key == nil {
			f.Key = json.RawMessage("null")
		}
	}
	if st.Sample != d.sample {
		f.Sample = &st.Sample
	}
	if st.RequestHash != d.hash {
		f.RequestHash = &st.RequestHash
	}
	same := d.answer
	if !same || st.Output != d.output {
		f.Output = &st.Output
	}
	if !same || !sameToolCalls(st.ToolCalls, d.toolCalls) {
		tc := st.ToolCalls
		f.ToolCalls = &tc
	}
	if !same || st.Model != d.model {
		f.Model = &st.Model
	}
	if !same || st.FinishReason != d.finishReason {
		f.FinishReason = &st.FinishReason
	}
	if !same || st.Usage != d.usage {
		f.Usage = &st.Usage
	}
	if !same || st.RequestID != d.requestID {
		f.RequestID = &st.RequestID
	}
	return f
}

// sameToolCalls reports whether a record's tool calls are those derived:
// a record's nil (never written by the executor) is not the derived empty
// list, so it is kept as it is.
func sameToolCalls(a, b []ToolCall) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// restore makes the record read under addr from a file of the given
// format version. Version 2 left out what the record's address, request
// and response give, and restore derives it; version 1 wrote every field
// it had, and one it omitted is empty.
func (f *fileStep) restore(addr string, table []Price, version int) (*Step, error) {
	st := f.Step
	if st == nil {
		st = &Step{}
	}
	if c := f.Cost; c != nil {
		st.Cost = &Cost{USD: c.USD}
		switch {
		case c.Ref != nil && (*c.Ref < 0 || *c.Ref >= len(table)):
			return nil, fmt.Errorf(`the record %q has "price_ref": %d, and "prices" has no such entry (it has %d)`, addr, *c.Ref, len(table))
		case c.Ref != nil:
			st.Cost.Price = table[*c.Ref]
		case c.Price != nil:
			st.Cost.Price = *c.Price
		}
	}
	var d derived
	if version >= 2 {
		// What is derived is derived from the compact form, as written: a
		// file indented by hand reads the same.
		st.Request, st.Response = compactJSON(st.Request), compactJSON(st.Response)
		d = derive(addr, st.Request, st.Response)
		d.address = addr
	}
	st.Address = deref(f.Address, d.address)
	st.Name = deref(f.Name, d.name)
	st.Key = d.key
	if f.Key != nil {
		st.Key = f.Key
		if string(st.Key) == "null" {
			st.Key = nil
		}
	}
	st.Sample = deref(f.Sample, d.sample)
	st.RequestHash = deref(f.RequestHash, d.hash)
	st.Output = deref(f.Output, d.output)
	st.ToolCalls = deref(f.ToolCalls, d.toolCalls)
	st.Model = deref(f.Model, d.model)
	st.FinishReason = deref(f.FinishReason, d.finishReason)
	st.Usage = deref(f.Usage, d.usage)
	st.RequestID = deref(f.RequestID, d.requestID)
	return st, nil
}

// round12 rounds a price or a cost to 12 significant digits, which the
// file spells without the noise of binary fractions (0.11, not
// 0.11000000000000001): far below a cent at any scale promptform shows.
func round12(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return r
}

func deref[T any](p *T, otherwise T) T {
	if p != nil {
		return *p
	}
	return otherwise
}

// compactJSON returns b without insignificant white space; b itself when
// it is compact already, or not JSON.
func compactJSON(b json.RawMessage) json.RawMessage {
	if !spaced(b) {
		return b
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

// spaced reports whether JSON text has white space outside its strings.
func spaced(b []byte) bool {
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
	}
	return false
}

// fileState is the state file's shape for decoding, either version.
type fileState struct {
	Version           int                  `json:"version"`
	Lineage           string               `json:"lineage"`
	Serial            uint64               `json:"serial"`
	PromptformVersion string               `json:"promptform_version,omitempty"`
	Prices            []Price              `json:"prices,omitempty"`
	Steps             map[string]*fileStep `json:"steps"`
	Outputs           map[string]*Output   `json:"outputs"`
}

// decodeState decodes a state file's bytes, either version, restoring
// what version 2 leaves out. A null record stays nil, for check to report.
func decodeState(b []byte) (*State, error) {
	if s, ok := decodeLines(b); ok {
		return s, nil
	}
	var f fileState
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	s := f.header()
	if f.Steps == nil {
		return s, nil
	}
	entries := make([]lineEntry, 0, len(f.Steps))
	for addr, fs := range f.Steps {
		entries = append(entries, lineEntry{addr: addr, f: fs})
	}
	var err error
	s.Steps, err = f.restoreAll(entries)
	return s, err
}

// header is the state f holds but for its steps.
func (f *fileState) header() *State {
	return &State{Version: f.Version, Lineage: f.Lineage, Serial: f.Serial, PromptformVersion: f.PromptformVersion, Outputs: f.Outputs}
}

// lineEntry is one step record being decoded: its address, the record as
// the file holds it, and the record restored.
type lineEntry struct {
	addr string
	f    *fileStep
	st   *Step
	err  error
}

// restoreAll restores the records of entries, read from the file f, on
// every processor at once, into the state's steps; in the order of
// entries, so that a repeated address keeps its last record, as a whole
// decode does. A null record stays nil. The error is that of the first
// record, by address, that cannot be restored.
func (f *fileState) restoreAll(entries []lineEntry) (map[string]*Step, error) {
	parallel(len(entries), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if e := &entries[i]; e.f != nil {
				e.st, e.err = e.f.restore(e.addr, f.Prices, f.Version)
			}
		}
	})
	steps := make(map[string]*Step, len(entries))
	var failed *lineEntry
	for i, e := range entries {
		if e.err != nil && (failed == nil || e.addr < failed.addr) {
			failed = &entries[i]
		}
		steps[e.addr] = e.st
	}
	if failed != nil {
		return nil, failed.err
	}
	return steps, nil
}

// decodeLines decodes a state laid out as encode writes it, one record a
// line, decoding the lines and restoring the records on every processor
// at once; false when the bytes are laid out otherwise or do not decode,
// for the caller to decode them whole (and report what is wrong).
func decodeLines(b []byte) (*State, bool) {
	const open, close = "\n  \"steps\": {\n", "\n  },\n  \"outputs\": "
	i := bytes.Index(b, []byte(open))
	if i < 0 {
		return nil, false
	}
	body := b[i+len(open):]
	j := bytes.Index(body, []byte(close))
	if j < 0 {
		return nil, false
	}
	skeleton := slices.Concat(b[:i], []byte("\n  \"steps\": {}"), body[j+len("\n  }"):])
	var f fileState
	if json.Unmarshal(skeleton, &f) != nil || f.Version < 2 || f.Steps == nil || len(f.Steps) > 0 {
		return nil, false
	}
	lines := bytes.Split(body[:j], []byte("\n"))
	entries := make([]lineEntry, len(lines))
	var bad atomic.Bool
	parallel(len(lines), func(lo, hi int) {
		for k := lo; k < hi && !bad.Load(); k++ {
			line, ok := bytes.CutSuffix(lines[k], []byte(","))
			var m map[string]*fileStep
			if ok == (k == len(lines)-1) || !bytes.HasPrefix(line, []byte(`    "`)) ||
				json.Unmarshal(slices.Concat([]byte("{"), line, []byte("}")), &m) != nil || len(m) != 1 {
				bad.Store(true)
				return
			}
			for addr, fs := range m {
				entries[k] = lineEntry{addr: addr, f: fs}
			}
		}
	})
	if bad.Load() {
		return nil, false
	}
	steps, err := f.restoreAll(entries)
	if err != nil {
		return nil, false // the whole decode reports it
	}
	s := f.header()
	s.Steps = steps
	return s, true
}

// parallel calls do over [0, n) in as many slices as there are
// processors, at once; for small n, in one call.
func parallel(n int, do func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/512)
	if parts <= 1 {
		do(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := n*p/parts, n*(p+1)/parts
		wg.Go(func() { do(lo, hi) })
	}
	wg.Wait()
}

// encodeSteps writes the steps of a version 2 file, one compact record a
// line, keys sorted, their prices by their place in ps.
func encodeSteps(ew *errWriter, m map[string]*Step, ps *prices) {
	encodeLines(ew, m, func(addr string, st *Step) any {
		if st == nil {
			return nil
		}
		return slim(addr, st, ps)
	})
}

// encodeLines writes a map as a second-level member of the state object,
// one compact entry a line, keys sorted, each value as enc makes it.
func encodeLines[V any](ew *errWriter, m map[string]V, enc func(string, V) any) {
	switch {
	case m == nil:
		ew.write([]byte("null"))
		return
	case len(m) == 0:
		ew.write([]byte("{}"))
		return
	}
	keys := sortedKeys(m)
	var buf bytes.Buffer
	je := json.NewEncoder(&buf)
	je.SetEscapeHTML(false)
	ew.write([]byte("{"))
	for i, k := range keys {
		buf.Reset()
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n    ")
		if err := je.Encode(k); err != nil {
			ew.fail(fmt.Errorf("encode %q: %w", k, err))
			return
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteString(": ")
		if err := je.Encode(enc(k, m[k])); err != nil {
			ew.fail(fmt.Errorf("encode %q: %w", k, err))
			return
		}
		buf.Truncate(buf.Len() - 1)
		ew.write(buf.Bytes())
	}
	ew.write([]byte("\n  }"))
}
