package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
)

// diagView prints diagnostics: as text for humans (viewBase.diags), as
// JSON events with -json.
type diagView interface {
	diags(diags hcl.Diagnostics)
}

// compactWarning is a warning on one line, for -compact-warnings: its
// summary and where it is.
func compactWarning(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return d.Summary
	}
	return fmt.Sprintf("%s (%s:%d)", d.Summary, d.Subject.Filename, d.Subject.Start.Line)
}

// errorsOnly returns the errors among diags.
func errorsOnly(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// sortedDiags returns the diagnostics ordered by position.
func sortedDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	out := append(hcl.Diagnostics(nil), diags...)
	config.SortDiagnostics(out)
	return out
}

// jsonDiag is a diagnostic in -json output.
type jsonDiag struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func toJSONDiag(d *hcl.Diagnostic) jsonDiag {
	jd := jsonDiag{Severity: "error", Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagWarning {
		jd.Severity = "warning"
	}
	if r := d.Subject; r != nil {
		jd.Range = &jsonRange{
			Filename: r.Filename,
			Start:    jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
			End:      jsonPos{r.End.Line, r.End.Column, r.End.Byte},
		}
	}
	return jd
}

// jsonEvents writes NDJSON events, each with a type field.
type jsonEvents struct{ enc *json.Encoder }

func newJSONEvents(w io.Writer) *jsonEvents {
	e := &jsonEvents{enc: json.NewEncoder(w)}
	e.enc.SetEscapeHTML(false)
	e.emit("version", map[string]any{"promptform": Version, "format_version": "1.0"})
	return e
}

func (e *jsonEvents) emit(typ string, fields map[string]any) {
	ev := map[string]any{"type": typ}
	for k, v := range fields {
		ev[k] = v
	}
	e.enc.Encode(ev)
}

// diags writes one diagnostic event per diagnostic.
func (e *jsonEvents) diags(diags hcl.Diagnostics) {
	for _, d := range sortedDiags(diags) {
		e.emit("diagnostic", map[string]any{"diagnostic": toJSONDiag(d)})
	}
}
