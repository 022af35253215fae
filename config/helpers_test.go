package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// writeDir writes files (name → content) into a fresh directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad loads dir with a fresh parser and fails on any diagnostic.
func mustLoad(t *testing.T, dir string) (*Parser, *Config) {
	t.Helper()
	p := NewParser()
	cfg, diags := p.LoadDir(dir)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics loading %s:\n%s", dir, diagsString(diags))
	}
	return p, cfg
}

// diagsString renders diagnostics one per line: severity, summary, detail.
func diagsString(diags hcl.Diagnostics) string {
	var lines []string
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		lines = append(lines, sev+": "+d.Summary+": "+d.Detail)
	}
	return strings.Join(lines, "\n")
}
