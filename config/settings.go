package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Settings is the top-level promptform block, the settings of the whole
// configuration (Terraform's terraform block): at most one.
type Settings struct {
	// Budget is budget = USD: the most a plan may be expected to cost and
	// an apply may spend; nil when not set. It may use variables.
	Budget hcl.Expression

	DeclRange hcl.Range
}

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "budget"}},
}

func decodeSettingsBlock(block *hcl.Block) (*Settings, hcl.Diagnostics) {
	s := &Settings{DeclRange: block.DefRange}
	content, diags := block.Body.Content(settingsSchema)
	if a, ok := content.Attributes["budget"]; ok {
		s.Budget = a.Expr
	}
	return s, diags
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
