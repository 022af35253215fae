package planner

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
)

// markerRE matches the expectation a fixture line carries: # ERROR: Summary.
var markerRE = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// TestInvalidFixtures loads, collects the variables of and plans every
// testdata/config/invalid/*.pf.hcl on its own, and compares the error
// diagnostics with the file's # ERROR: markers, both ways.
func TestInvalidFixtures(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "config", "invalid", "*"+config.SuffixNative))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata/config/invalid")
	}
	for _, path := range paths {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(name, config.SuffixNative), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := fixtureMarkers(t, src)
			if len(want) == 0 {
				t.Fatalf("%s has no # ERROR: marker", name)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
			diags := loadAndPlan(dir)
			var got []string
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
					if filepath.Base(d.Subject.Filename) != name {
						t.Errorf("diagnostic %q points at %s, not at %s", d.Summary, d.Subject.Filename, name)
					}
				}
				got = append(got, fmt.Sprintf("%d: %s", line, d.Summary))
			}
			slices.Sort(got)
			for _, w := range want {
				if !slices.Contains(got, w) {
					t.Errorf("marker not matched by a diagnostic: %s", w)
				}
			}
			for _, g := range got {
				if !slices.Contains(want, g) {
					t.Errorf("diagnostic not marked: %s", g)
				}
			}
			if t.Failed() {
				t.Logf("all diagnostics:\n%s", diagsText(diags))
			}
		})
	}
}

// TestValidFixtures loads, collects the variables of and plans every
// directory of testdata/config/valid, which must give no diagnostic at all.
func TestValidFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "config", "valid", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no fixtures in testdata/config/valid")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			if diags := loadAndPlan(dir); len(diags) > 0 {
				t.Errorf("unexpected diagnostics:\n%s", diagsText(diags))
			}
		})
	}
}

// loadAndPlan runs the phases as validate and plan do, each only when the
// one before it had no errors, and returns every diagnostic.
func loadAndPlan(dir string) hcl.Diagnostics {
	p := config.NewParser()
	cfg, diags := p.LoadDir(dir)
	if diags.HasErrors() {
		return diags
	}
	vars, moreDiags := p.CollectVariables(cfg, nil, nil)
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return diags
	}
	_, moreDiags = Build(cfg, Options{Vars: vars, State: state.New()})
	return append(diags, moreDiags...)
}

// fixtureMarkers returns "LINE: Summary" for every # ERROR: marker, sorted.
func fixtureMarkers(t *testing.T, src []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		if m := markerRE.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, fmt.Sprintf("%d: %s", line, m[1]))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func diagsText(diags hcl.Diagnostics) string {
	var sb strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(&sb, "  %s: %s", sev, d.Summary)
		if d.Subject != nil {
			fmt.Fprintf(&sb, " (%s)", d.Subject)
		}
		fmt.Fprintf(&sb, ": %s\n", d.Detail)
	}
	return sb.String()
}
