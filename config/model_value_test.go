package config

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestStepModel checks how a step's model attribute is read: a model or
// chain named directly is a checked Ref; an expression is kept for the
// planner; a constant cannot name a model.
func TestStepModel(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		expr        string
		wantStatic  string // Type.Name of a static model, or ""
		wantSummary string
		wantDetail  string
	}{
		"a model":             {expr: "model.fast", wantStatic: "model.fast"},
		"a fallback chain":    {expr: "fallback.safe", wantStatic: "fallback.safe"},
		"each.value":          {expr: "each.value.model"},
		"a conditional":       {expr: "var.big ? model.smart : model.fast"},
		"an element":          {expr: "local.models[0]"},
		"an attribute":        {expr: "model.fast.id"},
		"a string":            {expr: `"fast"`, wantSummary: "Invalid model reference", wantDetail: "write model.fast or fallback.fast, without quotes."},
		"a string not a name": {expr: `"gpt 5"`, wantSummary: "Invalid model reference", wantDetail: "such as model.NAME or fallback.NAME."},
		"a number":            {expr: "3", wantSummary: "Invalid model reference", wantDetail: "such as model.NAME or fallback.NAME."},
		"null":                {expr: "null", wantSummary: "Invalid model reference"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			expr, parseDiags := hclsyntax.ParseExpression([]byte(tc.expr), "main.pf.hcl", hcl.InitialPos)
			if parseDiags.HasErrors() {
				t.Fatalf("cannot parse %s: %s", tc.expr, diagsString(parseDiags))
			}
			m, diags := decodeStepModel(expr)
			if tc.wantSummary != "" {
				if len(diags) != 1 || diags[0].Summary != tc.wantSummary || !strings.Contains(diags[0].Detail, tc.wantDetail) {
					t.Fatalf("wrong diagnostics\ngot:  %s\nwant: %q containing %q", diagsString(diags), tc.wantSummary, tc.wantDetail)
				}
				if diags[0].Subject == nil || *diags[0].Subject != expr.Range() {
					t.Errorf("subject %v, want the expression %v", diags[0].Subject, expr.Range())
				}
				return
			}
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics: %s", diagsString(diags))
			}
			if m.Expr != expr {
				t.Error("the expression was not kept")
			}
			got := ""
			if m.Static() {
				got = m.String()
			}
			if got != tc.wantStatic {
				t.Errorf("wrong static model\ngot:  %q\nwant: %q", got, tc.wantStatic)
			}
		})
	}
}

// TestParseRefModelValues checks that model.NAME and fallback.NAME are
// references in any expression, and schema.NAME still is not.
func TestParseRefModelValues(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]string{"model.fast": "model.fast", "fallback.safe.id": "fallback.safe", "schema.x": "", "modl.fast": ""} {
		trav, d := hclsyntax.ParseTraversalAbs([]byte(src), "t.hcl", hcl.InitialPos)
		if d.HasErrors() {
			t.Fatal(diagsString(d))
		}
		ref, diags := ParseRef(trav)
		switch {
		case want == "" && ref != nil:
			t.Errorf("%s: got %s; want an error", src, ref)
		case want != "" && (ref == nil || ref.String() != want):
			t.Errorf("%s: got %v, %s; want %s", src, ref, diagsString(diags), want)
		}
		if src == "modl.fast" && (len(diags) != 1 || !strings.Contains(diags[0].Detail, `Did you mean "model"?`)) {
			t.Errorf("%s: no suggestion: %s", src, diagsString(diags))
		}
	}
}
