package planner

import (
	"strings"
	"testing"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/state"
)

func TestCatalogChecks(t *testing.T) {
	t.Parallel()
	catalog := []gateway.Model{
		{ID: "full", ContextLength: 1000, SupportedParameters: []string{"max_tokens", "stream", "tools"}},
		{ID: "plain", ContextLength: 1000, SupportedParameters: []string{"max_tokens"}},
		{ID: "informal"}, // no supported_parameters: not checked
		{ID: "claude-haiku-4-5-20251001", SupportedParameters: []string{"stream"}},
	}
	tests := map[string]struct {
		model, step string
		strict      bool
		wantSev     string // "error", "warning" or "" for none
		wantSummary string
		wantDetail  string
		wantLine    int
	}{
		"supported":                {model: `id = "full"`, step: "stream = true", strict: true},
		"stream unsupported":       {model: `id = "plain"`, step: "stream = true", strict: true, wantSev: "error", wantSummary: "Unsupported parameter for model", wantDetail: `Model "plain" (model.m, used by step.a) does not support stream`, wantLine: 7},
		"stream set on the model":  {model: "id = \"plain\"\n  stream = true", strict: true, wantSev: "error", wantSummary: "Unsupported parameter for model", wantLine: 3},
		"no parameter list":        {model: `id = "informal"`, step: "stream = true", strict: true},
		"unknown id, strict":       {model: `id = "claude-haiku-4-5"`, strict: true, wantSev: "error", wantSummary: "Unknown model", wantDetail: `Did you mean "claude-haiku-4-5-20251001"?`, wantLine: 5},
		"unknown id, informal":     {model: `id = "nope"`, strict: false, wantSev: "warning", wantSummary: "Unknown model"},
		"max_tokens over context":  {model: `id = "full"`, step: "max_tokens = 1000", strict: true, wantSev: "error", wantSummary: "max_tokens exceeds the context length"},
		"max_tokens under context": {model: `id = "full"`, step: "max_tokens = 999", strict: true},
		"prompt over context":      {model: `id = "full"`, step: "system = \"${join(\"\", [for i in range(1000) : \"abcde\"])}\"", strict: true, wantSev: "error", wantSummary: "Prompt exceeds the context length"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := "model \"m\" {\n  " + tc.model + "\n}\nstep \"a\" {\n  model  = model.m\n  prompt = \"p\"\n  " + tc.step + "\n}\n"
			cfg := loadSrc(t, src, nil)
			cats := map[*config.Gateway]*Catalog{cfg.Gateway(cfg.Models["m"]): NewCatalog(catalog, tc.strict)}
			_, diags := Build(cfg, Options{State: state.New(), Catalogs: cats})
			if tc.wantSev == "" {
				if len(diags) != 0 {
					t.Fatalf("unexpected diagnostics: %s", diagsText(diags))
				}
				return
			}
			if len(diags) != 1 {
				t.Fatalf("got %s; want one %s %q", diagsText(diags), tc.wantSev, tc.wantSummary)
			}
			d := diags[0]
			sev := map[bool]string{true: "error", false: "warning"}[d.Severity == 1]
			if sev != tc.wantSev || d.Summary != tc.wantSummary || !strings.Contains(d.Detail, tc.wantDetail) {
				t.Errorf("got %s %q %q; want %s %q containing %q", sev, d.Summary, d.Detail, tc.wantSev, tc.wantSummary, tc.wantDetail)
			}
			if tc.wantLine != 0 && (d.Subject == nil || d.Subject.Start.Line != tc.wantLine) {
				t.Errorf("subject %v, want line %d", d.Subject, tc.wantLine)
			}
		})
	}
}

// TestCatalogSkipsKeptSteps checks that a step whose recorded answer is
// re-used is not checked: it calls no model.
func TestCatalogSkipsKeptSteps(t *testing.T) {
	t.Parallel()
	src := "model \"m\" {\n  id = \"gone\"\n}\nstep \"a\" {\n  model  = model.m\n  prompt = \"p\"\n}\n"
	p := mustPlan(t, src, nil, false)
	st := record(t, p, nil, false)
	cfg := loadSrc(t, src, nil)
	cats := map[*config.Gateway]*Catalog{cfg.Gateway(cfg.Models["m"]): NewCatalog(nil, true)}
	p2, diags := Build(cfg, Options{State: st, Catalogs: cats})
	if len(diags) != 0 || p2.HasChanges() {
		t.Errorf("kept step checked against the catalog: %s (changes %v)", diagsText(diags), p2.HasChanges())
	}
}
