package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/promptform/promptform/state"
)

// stateSize compares a state file with what it must hold.
type stateSize struct {
	steps int
	file  int64 // bytes of .promptform/state.json
	// recorded is the payload: for every step, its request and its response
	// as compact JSON, the bytes that went over the wire less the HTTP
	// framing.
	recorded int64
	// compact is the whole state as compact JSON: file less indentation.
	compact int64
}

// ratio is the state file's size over the payload it records.
func (s stateSize) ratio() float64 {
	if s.recorded == 0 {
		return 0
	}
	return float64(s.file) / float64(s.recorded)
}

// measureState reads the state file of the configuration in dir. It reads
// the file itself, not state pull, which would print the same bytes.
func measureState(dir string) (stateSize, error) {
	path := filepath.Join(dir, state.Dir, state.File)
	b, err := os.ReadFile(path)
	if err != nil {
		return stateSize{}, err
	}
	var doc struct {
		Steps map[string]struct {
			Request  json.RawMessage `json:"request"`
			Response json.RawMessage `json:"response"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return stateSize{}, fmt.Errorf("%s: %w", path, err)
	}
	s := stateSize{steps: len(doc.Steps), file: int64(len(b))}
	var buf bytes.Buffer
	for _, st := range doc.Steps {
		s.recorded += compactLen(&buf, st.Request) + compactLen(&buf, st.Response)
	}
	s.compact = compactLen(&buf, b)
	return s, nil
}

// compactLen returns the length of raw as compact JSON, using buf.
func compactLen(buf *bytes.Buffer, raw json.RawMessage) int64 {
	buf.Reset()
	if json.Compact(buf, raw) != nil {
		return int64(len(raw))
	}
	return int64(buf.Len())
}

// note describes the state written by the case named name, for the lines
// under the table.
func (s stateSize) note(name string) string {
	ratio := func(n int64) float64 { return float64(n) / float64(max(s.recorded, 1)) }
	return fmt.Sprintf("state after %s: %d steps, state.json %s (%.2f× recorded); "+
		"recorded requests + responses as compact JSON %s (%s a step); the same state as compact JSON would be %s (%.2f×)",
		name, s.steps, megabytes(s.file), s.ratio(), megabytes(s.recorded),
		bytesPer(s.recorded, s.steps), megabytes(s.compact), ratio(s.compact))
}
