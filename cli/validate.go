package cli

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

func runValidate(m *Meta, args []string) int {
	fs := m.newFlags("validate", "validate [-json]")
	jsonOut := fs.Bool("json", false, "print the result as JSON")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	return newValidateView(*jsonOut, m.view()).result(m.validate())
}

// validate loads and type-checks the configuration without state or
// network: every request is rendered with upstream outputs unknown, and
// variables without a value are unknown rather than an error. Models are
// checked against the catalogs that plan cached, when there are some.
func (m *Meta) validate() hcl.Diagnostics {
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		return diags
	}
	vars, varDiags := m.parser.CollectVariables(cfg, nil, m.Environ())
	for _, d := range varDiags {
		if d.Summary != "No value for required variable" {
			diags = append(diags, d)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	catalogs, catDiags := m.catalogs(cfg, false)
	diags = append(diags, catDiags...)
	_, planDiags := planner.Build(cfg, planner.Options{Vars: vars, State: state.New(), Catalogs: catalogs})
	return append(diags, planDiags...)
}
