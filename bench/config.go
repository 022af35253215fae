package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// benchModel is the model every generated configuration calls; the fake's
// default catalog lists it.
const benchModel = "claude-haiku-4-5-20251001"

// configSource returns a configuration of one model and one step with
// count = n, whose prompt uses count.index so that every instance sends a
// different request.
func configSource(n int) string {
	return fmt.Sprintf(`model "haiku" {
  id         = %q
  max_tokens = 16
}

step "echo" {
  count  = %d
  model  = model.haiku
  prompt = "Repeat the number ${count.index}."
}
`, benchModel, n)
}

// writeConfig creates a directory under root holding the configuration of
// n instances, and returns its path.
func writeConfig(root, name string, n int) (string, error) {
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "main.pf.hcl")
	if err := os.WriteFile(path, []byte(configSource(n)), 0o644); err != nil {
		return "", err
	}
	return dir, nil
}
