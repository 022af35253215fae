package config

import (
	"github.com/hashicorp/hcl/v2"
)

// Block type names of the language.
const (
	blockGateway       = "gateway"
	blockVariable      = "variable"
	blockLocals        = "locals"
	blockModel         = "model"
	blockSchema        = "schema"
	blockTool          = "tool"
	blockFallback      = "fallback"
	blockStep          = "step"
	blockCheck         = "check"
	blockOutput        = "output"
	blockMessage       = "message"
	blockValidation    = "validation"
	blockPostcondition = "postcondition"
	blockAssert        = "assert"
	blockPrecondition  = "precondition"
	blockSettings      = "promptform"
	blockMoved         = "moved"
	blockModule        = "module"
)

// rootSchema lists every top-level block. gateway is listed without a label;
// labelled gateway blocks are picked out of native-syntax bodies separately
// (see decodeGateways).
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: blockGateway},
		{Type: blockVariable, LabelNames: []string{"name"}},
		{Type: blockLocals},
		{Type: blockModel, LabelNames: []string{"name"}},
		{Type: blockSchema, LabelNames: []string{"name"}},
		{Type: blockTool, LabelNames: []string{"name"}},
		{Type: blockFallback, LabelNames: []string{"name"}},
		{Type: blockCheck, LabelNames: []string{"name"}},
		{Type: blockStep, LabelNames: []string{"name"}},
		{Type: blockOutput, LabelNames: []string{"name"}},
		{Type: blockModule, LabelNames: []string{"name"}},
		{Type: blockSettings},
		{Type: blockMoved},
	},
}
