package state

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// writeSeam lets tests fail or watch the write of a file: wrap wraps the
// temporary file as it is written, synced sees it complete, just before it
// is renamed over the old file. Production code passes nil.
type writeSeam struct {
	wrap   func(io.Writer) io.Writer
	synced func(tmp string)
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so that readers never see a partial file. It
// creates path's directory.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state: create %s: %w", dir, err)
	}
	return writeAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, nil)
}

// writeAtomic streams what write writes into a temporary file beside path
// (named ".BASE.tmp-*"), syncs it and renames it over path. On a failure
// it removes the temporary file, and path is as it was.
func writeAtomic(path string, perm fs.FileMode, write func(io.Writer) error, seam *writeSeam) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	tmp := f.Name()
	err = fill(f, perm, write, seam)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && seam != nil && seam.synced != nil {
		seam.synced(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("state: write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// fill writes the temporary file f through a buffer and syncs it.
func fill(f *os.File, perm fs.FileMode, write func(io.Writer) error, seam *writeSeam) error {
	var w io.Writer = f
	if seam != nil && seam.wrap != nil {
		w = seam.wrap(f)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	return f.Sync()
}

// syncDir syncs a directory so that a created, renamed or removed name in
// it is durable. It is best effort: not every platform can sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// stateHeader is State without its maps: the fields encode writes first.
// It has State's fields, names and tags, in the same order.
type stateHeader struct {
	Version           int    `json:"version"`
	Lineage           string `json:"lineage"`
	Serial            uint64 `json:"serial"`
	PromptformVersion string `json:"promptform_version,omitempty"`
}

// encode writes the state in the format of Version, whatever version it
// was read from: the header indented, the prices of the records one a
// line,
// then one compact line per step record and per output (see fileStep). It
// never holds more than one record's encoding, however large the state.
func (s *State) encode(w io.Writer) error {
	head, err := json.MarshalIndent(stateHeader{Version, s.Lineage, s.Serial, s.PromptformVersion}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	ew := &errWriter{w: w}
	ew.write(head[:len(head)-len("\n}")])
	ps := pricesOf(s.Steps, sortedKeys(s.Steps))
	if len(ps.list) > 0 {
		ew.write([]byte(",\n  \"prices\": ["))
		for i, p := range ps.list {
			line, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("encode: %w", err)
			}
			if i > 0 {
				ew.write([]byte(","))
			}
			ew.write([]byte("\n    "))
			ew.write(line)
		}
		ew.write([]byte("\n  ]"))
	}
	ew.write([]byte(",\n  \"steps\": "))
	encodeSteps(ew, s.Steps, ps)
	ew.write([]byte(",\n  \"outputs\": "))
	encodeLines(ew, s.Outputs, func(_ string, o *Output) any { return o })
	ew.write([]byte("\n}\n"))
	return ew.err
}

// sortedKeys returns a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errWriter keeps the first error of a series of writes and skips the rest.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

func (e *errWriter) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}
