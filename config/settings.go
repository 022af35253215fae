package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Settings is the top-level promptform block, the settings of the whole
// configuration (Terraform's terraform block): at most one.
type Settings struct {
	// Budget is budget = USD: the most a plan may be expected to cost and
	// an apply may spend; nil when not set. It may use variables.
	Budget hcl.Expression
	// Backend is the backend block: where the state is kept; nil for the
	// local files.
	Backend *Backend

	DeclRange hcl.Range
}

// Backend is a backend "TYPE" { ... } block in the promptform block. Its
// settings are literal strings (they are read before any variable), and
// PG_CONN_STR and -backend-config can set or override them.
type Backend struct {
	Type     string
	Settings map[string]string
	// Ranges are where each setting was written.
	Ranges    map[string]hcl.Range
	DeclRange hcl.Range
}

// BackendSettings are the settings each backend type takes.
var BackendSettings = map[string][]string{
	"pg": {"conn_str", "schema_name"},
}

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "budget"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "backend", LabelNames: []string{"type"}}},
}

func decodeSettingsBlock(block *hcl.Block) (*Settings, hcl.Diagnostics) {
	s := &Settings{DeclRange: block.DefRange}
	content, diags := block.Body.Content(settingsSchema)
	if a, ok := content.Attributes["budget"]; ok {
		s.Budget = a.Expr
	}
	for _, b := range content.Blocks {
		be, d := decodeBackendBlock(b)
		diags = append(diags, d...)
		if be == nil {
			continue
		}
		if s.Backend != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate backend block",
				Detail: fmt.Sprintf("A backend block was already declared at %s; the promptform block has at most one.", s.Backend.DeclRange), Subject: b.DefRange.Ptr()})
			continue
		}
		s.Backend = be
	}
	return s, diags
}

// decodeBackendBlock reads a backend block: a known type, and its settings
// as literal strings.
func decodeBackendBlock(block *hcl.Block) (*Backend, hcl.Diagnostics) {
	typ := block.Labels[0]
	known, ok := BackendSettings[typ]
	if !ok {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported backend type",
			Detail:  fmt.Sprintf("There is no backend %q; the one backend besides the local files is \"pg\" (PostgreSQL).", typ),
			Subject: block.LabelRanges[0].Ptr()}}
	}
	attrs, diags := block.Body.JustAttributes()
	be := &Backend{Type: typ, Settings: map[string]string{}, Ranges: map[string]hcl.Range{}, DeclRange: block.DefRange}
	for name, a := range attrs {
		if !slices.Contains(known, name) {
			detail := fmt.Sprintf("The %s backend takes %s.", typ, strings.Join(known, " and "))
			if s := nameSuggestion(name, known); s != "" {
				detail = fmt.Sprintf("Did you mean %q? ", s) + detail
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported backend setting", Detail: detail, Subject: a.NameRange.Ptr()})
			continue
		}
		var v string
		if d := decodeLiteral(a, &v); d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid backend setting",
				Detail: fmt.Sprintf("%s must be a literal string: backend settings are read before any variable. Use PG_CONN_STR or -backend-config=%s=VALUE to keep a secret out of the files.", name, name), Subject: a.Expr.Range().Ptr()})
			continue
		}
		be.Settings[name], be.Ranges[name] = v, a.Expr.Range()
	}
	return be, diags
}

// addSettings keeps the one promptform block.
func (c *Config) addSettings(s *Settings) hcl.Diagnostics {
	if c.Settings != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duplicate promptform block",
			Detail:   fmt.Sprintf("A promptform block was already declared at %s; a configuration has at most one.", c.Settings.DeclRange),
			Subject:  s.DeclRange.Ptr(),
		}}
	}
	c.Settings = s
	return nil
}
