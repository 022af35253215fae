package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/planner"
	"github.com/rogpeppe/go-internal/txtar"
)

// FuzzConfig loads arbitrary text as a configuration file, in native
// syntax or in JSON syntax, and builds its step graph: whatever the text,
// loading ends with diagnostics, never a panic. The graph is built even
// when loading reported errors, as a loaded configuration promises to be
// safe for static analysis. Nothing expensive is evaluated (analysis
// without values leaves locals unknown; a module's for_each or count that
// needs them expands to nothing), so no input can make the fuzzer wait on
// an expensive expression.
func FuzzConfig(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed, strings.HasPrefix(strings.TrimSpace(seed), "{"))
	}
	f.Fuzz(func(t *testing.T, src string, json bool) {
		dir := t.TempDir()
		name := "main" + config.SuffixNative
		if json {
			name = "main" + config.SuffixJSON
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, _ := config.NewParser().LoadDir(dir)
		if cfg == nil {
			t.Fatal("LoadDir returned no configuration")
		}
		planner.BuildGraph(cfg, nil)
	})
}

// fuzzSeeds returns the configuration files of the examples, the test
// fixtures and the end-to-end scripts.
func fuzzSeeds(f *testing.F) []string {
	f.Helper()
	var seeds []string
	for _, pattern := range []string{
		"../examples/*/*.pf.hcl",
		"../testdata/config/*/*.pf.hcl",
		"../testdata/config/*/*/*.pf.hcl",
		"../testdata/config/*/*/*.pf.json",
	} {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, string(b))
		}
	}
	scripts, err := filepath.Glob("../cli/testdata/script/*.txtar")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range scripts {
		a, err := txtar.ParseFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if strings.HasSuffix(file.Name, config.SuffixNative) || strings.HasSuffix(file.Name, config.SuffixJSON) {
				seeds = append(seeds, string(file.Data))
			}
		}
	}
	if len(seeds) == 0 {
		f.Fatal("no seed configurations found")
	}
	return seeds
}
