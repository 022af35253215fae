package state

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version is the state format version this package writes. Load refuses
// newer versions rather than lose what it does not understand.
// Version 1 (indented, every record whole) is still read.
const Version = 2

// Dir and File name where state lives, relative to the configuration directory.
const (
	Dir  = ".promptform"
	File = "state.json"
)

// Path returns the state file path for a configuration directory.
func Path(configDir string) string { return filepath.Join(configDir, Dir, File) }

// State is the recorded run of a pipeline.
type State struct {
	Version           int                `json:"version"`
	Lineage           string             `json:"lineage"`
	Serial            uint64             `json:"serial"`
	PromptformVersion string             `json:"promptform_version,omitempty"`
	Steps             map[string]*Step   `json:"steps"`
	Outputs           map[string]*Output `json:"outputs"`
}

// Step is the record of one finished step instance, keyed by its address
// (step.NAME or step.NAME["key"]).
type Step struct {
	Address string `json:"address"`
	Name    string `json:"name"`
	// Key is the instance key as JSON (a string for for_each, a number for
	// count), or absent for a single step.
	Key json.RawMessage `json:"key,omitempty"`
	// Sample is the sample index of a step with repeat = N: 0 (absent) for
	// the first sample, whose record is the instance's own, 1 to N-1 for
	// the others, whose addresses end in #N (step.NAME["key"]#2).
	Sample int `json:"sample,omitempty"`
	// Each is the instance's each.value as JSON, for reports; absent
	// without for_each, or when it uses a sensitive value.
	Each json.RawMessage `json:"each,omitempty"`

	// RequestHash is "sha256:" and the hex SHA-256 of Request.
	RequestHash string `json:"request_hash"`
	// Request is the canonical JSON of what was sent, never the API key.
	Request json.RawMessage `json:"request"`
	// Response is the decoded gateway response, re-encoded.
	Response json.RawMessage `json:"response,omitempty"`
	// Offline is true when the built-in offline model answered.
	Offline bool `json:"offline,omitempty"`
	// Sensitive is true when the request uses a sensitive value: it is
	// recorded, but show and state show do not print its messages.
	Sensitive         bool  `json:"sensitive,omitempty"`
	SensitiveMessages []int `json:"sensitive_messages,omitempty"` // which messages of Request (from 0) use a sensitive value

	Output       string          `json:"output"`
	Result       json.RawMessage `json:"result,omitempty"`
	ToolCalls    []ToolCall      `json:"tool_calls"`
	Model        string          `json:"model"`
	FinishReason string          `json:"finish_reason"`
	Usage        Usage           `json:"usage"`
	// Cost is what the answer cost (every attempt, tool round and schema
	// retry it took), with the price it was computed from; nil when no
	// price was known (an unpriced model, the offline model, a record
	// from before prices were recorded).
	Cost      *Cost  `json:"cost,omitempty"`
	RequestID string `json:"request_id,omitempty"`

	SensitiveFields []string `json:"sensitive_fields,omitempty"` // with Sensitive: the fields of Request besides messages that use a sensitive value ("user", "fallbacks.0.metadata")
	// SchemaAttempts is the answer that passed the schema: 1 for the first,
	// more when output_retries asked again. Zero without a schema.
	SchemaAttempts int `json:"schema_attempts,omitempty"`
	// Rounds are the tool rounds: the calls the model made and what each
	// command answered.
	Rounds []Round `json:"rounds,omitempty"`
	// ModelAttempts records every model a fallback chain tried, in order.
	ModelAttempts []ModelAttempt `json:"model_attempts,omitempty"`
	// Failed is why the recorded answer was refused (a postcondition); the
	// next plan reruns the step.
	Failed string `json:"failed,omitempty"`
	// Asserts are the scores of the step's assert blocks for this answer,
	// in the order they are declared. A failed assert fails nothing: it is
	// recorded here, and the answer is kept.
	Asserts []Assert `json:"asserts,omitempty"`

	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Attempts   int       `json:"attempts"`
}

// Assert is the score of one assert block for one answer.
type Assert struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Message is the block's error_message when it failed, or why its
	// condition could not be evaluated (which counts as a failure).
	Message string `json:"message,omitempty"`
}

// InstanceAddress returns the address of the instance the record belongs
// to: its address without a sample index.
func (s *Step) InstanceAddress() string {
	if s.Sample == 0 {
		return s.Address
	}
	return strings.TrimSuffix(s.Address, "#"+strconv.Itoa(s.Sample))
}

// Round is one round of a tool loop.
type Round struct {
	ToolCalls []ToolCall   `json:"tool_calls"`
	Results   []ToolResult `json:"results"`
}

// ToolResult is what a tool command answered to one call.
type ToolResult struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Output     string `json:"output"`
	Error      string `json:"error,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// ModelAttempt is one model tried by a fallback chain.
type ModelAttempt struct {
	Model string `json:"model"`
	Error string `json:"error,omitempty"`
}

// ToolCall is a recorded tool call, its arguments as JSON text.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Usage is a recorded token count.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	TotalTokens  int `json:"total_tokens"`
	// CacheReadTokens and CacheWriteTokens are the input tokens read from
	// and written to the prompt cache, counted within InputTokens.
	CacheReadTokens  int `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	// CacheWrite1hTokens are the writes among CacheWriteTokens kept for an
	// hour, which cost more.
	CacheWrite1hTokens int `json:"cache_write_1h_tokens,omitempty"`
}

// Cost is what a recorded answer cost in USD, and the price (USD per
// million tokens) it was computed from.
type Cost struct {
	USD   float64 `json:"usd"`
	Price Price   `json:"price"`
}

// Price is a model's price in USD per million tokens, and where it came
// from: "model.NAME" for a model block's price, "catalog (TIER)" for the
// gateway's catalog.
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read,omitempty"`
	CacheWrite float64 `json:"cache_write,omitempty"`
	// CacheWrite1h prices cache writes kept for an hour; zero: CacheWrite.
	CacheWrite1h float64 `json:"cache_write_1h,omitempty"`
	Source       string  `json:"source"`
}

// Output is a recorded output value: its JSON and its cty type as JSON.
type Output struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// New returns an empty state with a fresh lineage.
func New() *State {
	return &State{
		Version: Version,
		Lineage: newLineage(),
		Steps:   map[string]*Step{},
		Outputs: map[string]*Output{},
	}
}

func newLineage() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Load reads the state at path. A missing file gives an empty state (and
// no error); a file that cannot be decoded, or that holds what promptform
// never writes (no format version, a null record), gives an error that says
// so and what to do, never an empty state.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	s, err := decodeState(b)
	if err != nil {
		return nil, fmt.Errorf("state: %s is not valid state JSON (%v); it may be truncated or edited by hand. "+
			"Restore it from version control or a backup, or move it away to start from an empty state", path, err)
	}
	if err := s.check(path); err != nil {
		return nil, err
	}
	if s.Outputs == nil {
		s.Outputs = map[string]*Output{}
	}
	return s, nil
}

// Save writes the state to path atomically, creating the directory (see
// EnsureDir), and increments the serial. It takes no lock: it is for tests
// and for tools that own the file outright. Commands write through a Store
// (OpenLocked).
func (s *State) Save(path string) error { return s.save(path, nil) }

// save is Save, its write seen through seam. It streams the state into a
// temporary file beside path, so it needs no second copy of the state in
// memory; on disk, the old file stays until the new one is complete.
func (s *State) save(path string, seam *writeSeam) error {
	s.Serial++
	s.Version = Version
	err := EnsureDir(filepath.Dir(path))
	if err == nil {
		err = writeAtomic(path, 0o644, s.encode, seam)
	}
	if err != nil {
		s.Serial--
		return err
	}
	return nil
}

// CheckWritable reports whether the store's state can be written, by
// creating its directory and a temporary file beside it: apply checks it
// before it spends anything.
func (s *Store) CheckWritable() error { return checkWritable(s.path) }

func checkWritable(path string) error {
	dir := filepath.Dir(path)
	if err := EnsureDir(dir); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, writableTemp)
	if err != nil {
		return fmt.Errorf("state: cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Addresses returns the recorded step addresses, sorted.
func (s *State) Addresses() []string {
	out := make([]string, 0, len(s.Steps))
	for a := range s.Steps {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// SameJSON reports whether two JSON texts are the same but for white
// space, as a value recorded in a state (version 1 wrote it indented) and
// the same value encoded afresh are; two absent ones are.
func SameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// Encode writes the state as its file holds it (see fileStep), then a
// newline. Backends that keep states elsewhere store these bytes.
func (s *State) Encode(w io.Writer) error { return s.encode(w) }

// Decode reads a state as Encode writes it, and checks it as Load does;
// where names its source in errors (a file, or a database row).
func Decode(b []byte, where string) (*State, error) {
	s, err := decodeState(b)
	if err != nil {
		return nil, fmt.Errorf("state: %s is not valid state JSON (%v)", where, err)
	}
	if err := s.check(where); err != nil {
		return nil, err
	}
	if s.Outputs == nil {
		s.Outputs = map[string]*Output{}
	}
	return s, nil
}
