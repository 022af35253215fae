package cli

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/hashicorp/hcl/v2"
)

// validateView shows the result of validate and returns the exit code.
type validateView interface {
	result(diags hcl.Diagnostics) int
}

// newValidateView returns the view of validate: one JSON document with
// -json, else the diagnostics and a line of success.
func newValidateView(jsonOut bool, v *viewBase) validateView {
	if jsonOut {
		return validateJSON{v}
	}
	return validateHuman{v}
}

type validateHuman struct{ *viewBase }

// result writes the diagnostics on stderr, then says so when the
// configuration is valid.
func (v validateHuman) result(diags hcl.Diagnostics) int {
	v.diags(diags)
	if diags.HasErrors() {
		return 1
	}
	fmt.Fprintln(v.stdout, v.paint.green("Success!")+" The configuration is valid.")
	return 0
}

type validateJSON struct{ *viewBase }

// result writes the result as one JSON document on stdout.
func (v validateJSON) result(diags hcl.Diagnostics) int {
	out := struct {
		FormatVersion string     `json:"format_version"`
		Valid         bool       `json:"valid"`
		ErrorCount    int        `json:"error_count"`
		WarningCount  int        `json:"warning_count"`
		Diagnostics   []jsonDiag `json:"diagnostics"`
	}{FormatVersion: "1.0", Diagnostics: []jsonDiag{}}
	for _, d := range sortedDiags(diags) {
		out.Diagnostics = append(out.Diagnostics, toJSONDiag(d))
		if d.Severity == hcl.DiagError {
			out.ErrorCount++
		} else {
			out.WarningCount++
		}
	}
	out.Valid = out.ErrorCount == 0
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintln(v.stdout, string(b))
	if !out.Valid {
		return 1
	}
	return 0
}

// graphView prints the step graph for graph.
type graphView struct{ *viewBase }

// graph prints the rendered graph on stdout.
func (v graphView) graph(text string) { fmt.Fprint(v.stdout, text) }

// unlockView reports force-unlock's success.
type unlockView struct{ *viewBase }

func (v unlockView) unlocked() {
	fmt.Fprintln(v.stdout, v.paint.green("The state lock was cleared.")+" Only do this when the apply that held it is no longer running.")
}

// versionView prints promptform's version: as text, or as one JSON
// document with -json. It returns the exit code.
type versionView struct {
	*viewBase
	json bool
}

func (v versionView) version() int {
	if v.json {
		return v.jsonDocument(map[string]any{
			"promptform_version": Version,
			"platform":           runtime.GOOS + "_" + runtime.GOARCH,
			"go_version":         runtime.Version(),
		})
	}
	fmt.Fprintf(v.stdout, "promptform v%s\non %s_%s\n", Version, runtime.GOOS, runtime.GOARCH)
	return 0
}
