package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// GitignoreFile names the .gitignore that EnsureDir writes in Dir.
const GitignoreFile = ".gitignore"

// gitignore is what EnsureDir writes: it ignores everything in Dir but the
// state and itself.
const gitignore = `# Written by promptform when it created this directory; it never overwrites
# this file, so edit it as you like. Commit state.json: it records every step
# and the outputs, and plans compare against it. The rest belongs to this
# machine: the lock, the journal of an apply in progress (the next apply folds
# it into state.json), the model catalog cache and temporary files.
*
!.gitignore
!state.json
`

// Temporary files of this package in Dir: the atomic write of the state,
// and Store.CheckWritable's probe. Lock removes those a killed process left.
var staleTemps = []string{"." + File + ".tmp-*", writableTemp}

const writableTemp = ".writable-*"

// EnsureDir creates the state directory dir (configDir/.promptform) if
// needed and writes its .gitignore if there is none, so that only the
// state is committed. It never overwrites a .gitignore, whoever wrote it;
// failing to write one is not an error. Every writer of files in Dir calls
// it before writing.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("state: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, GitignoreFile)
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// O_EXCL: if another process writes it at the same moment, one wins.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil
	}
	_, err = f.WriteString(gitignore)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // not a half file that would pass for an edited one
	}
	return nil
}

// removeStaleTemps removes the temporary files of this package that a
// process killed while writing left in dir. Only the holder of the lock
// writes them, so the caller must hold it.
func removeStaleTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		for _, pattern := range staleTemps {
			if ok, _ := filepath.Match(pattern, e.Name()); ok && e.Type().IsRegular() {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}
