package cli

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
)

// The report page: its template, script and style, embedded so that the
// page needs nothing but itself.
var (
	//go:embed report/report.html.tmpl
	reportTemplateText string
	//go:embed report/report.js
	reportScript string
	//go:embed report/report.css
	reportStyle string
)

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": num, "count": count, "dur": wallTime, "spend": spend.text,
}).Parse(reportTemplateText))

// reportPage is what the template reads.
type reportPage struct {
	*report
	Version string
	Chart   reportChart
	Data    template.JS // the rows as JSON, with <, > and & escaped
	Script  template.JS
	Style   template.CSS
	CSP     template.HTMLAttr
}

// reportData is the JSON the page's script reads.
type reportData struct {
	Baseline bool        `json:"baseline"`
	Rows     []reportRow `json:"rows"`
}

// writeReport writes r as one HTML page.
func writeReport(w io.Writer, r *report) error {
	// json.Marshal escapes <, > and & (and U+2028, U+2029), so no text in
	// the data can end the script element that holds it.
	data, err := json.Marshal(reportData{Baseline: r.HasBaseline, Rows: emptyIfNil(r.Rows)})
	if err != nil {
		return err
	}
	return reportTemplate.Execute(w, reportPage{
		report: r, Version: Version, Chart: newReportChart(r.Steps),
		Data: template.JS(data), Script: template.JS(reportScript), Style: template.CSS(reportStyle),
		CSP: reportCSP(),
	})
}

// reportCSP is the page's content security policy: nothing from the
// network, and no script or style but the page's own, named by their
// hashes, so that even a text that escaped its escaping could not run.
func reportCSP() template.HTMLAttr {
	policy := "default-src 'none'; script-src '" + cspHash(reportScript) + "'; style-src '" + cspHash(reportStyle) +
		"'; img-src data:; base-uri 'none'; form-action 'none'"
	return template.HTMLAttr(`content="` + policy + `"`)
}

// cspHash is the CSP source expression of an inline element's content.
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
