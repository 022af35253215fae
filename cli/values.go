package cli

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// formatValue renders a value as HCL: multi-line strings as heredocs,
// unknown values as (known after apply).
func formatValue(v cty.Value) string {
	switch {
	case !v.IsWhollyKnown():
		return knownAfterApply
	case v.Type() == cty.String && !v.IsNull() && strings.Contains(strings.TrimRight(v.AsString(), "\n"), "\n"):
		return "<<EOT\n" + strings.TrimRight(v.AsString(), "\n") + "\nEOT"
	}
	return strings.TrimSpace(string(hclwrite.Format(hclwrite.TokensForValue(v).Bytes())))
}
