package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Schema is a schema block resolved: its JSON Schema document and, when it
// was given as an HCL type, that type (the type of step.NAME.result).
type Schema struct {
	Name        string // as declared; the plan keys it after its module's prefix
	Description string
	Type        cty.Type // cty.NilType for a JSON Schema document
	JSON        json.RawMessage
	Strict      *bool
}

// Tool is a tool block resolved.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
	Command     []string // nil: a call ends the step
	Dir         string   // the directory of the module that declares the tool, where its command runs
	Timeout     time.Duration
	Env         map[string]string
}

// Fallback is a fallback block resolved: its models in order.
type Fallback struct {
	Name   string
	NS     string // the prefix of the module instance that declares it: "" in the root
	Models []*Model
	Retry  *bool
	Depth  *int
	Mode   string
}

// resolveStructured resolves the model, schema, tool and fallback blocks
// of every module instance, each in the context of the instance's
// variables as known before any step runs. They are keyed by the
// instance's prefix and their name.
func (p *Plan) resolveStructured() hcl.Diagnostics {
	var diags hcl.Diagnostics
	p.Models = map[string]*Model{}
	p.Schemas, p.Tools, p.Fallbacks = map[string]*Schema{}, map[string]*Tool{}, map[string]*Fallback{}
	p.stepNS = map[*config.Step]string{}
	for _, mi := range p.Graph.Modules {
		cfg, ns := mi.Config, mi.Prefix()
		for _, s := range cfg.Steps {
			p.stepNS[s] = ns
		}
		ctx := newModuleScope(mi, nil).VarContext()
		diags = append(diags, resolveModels(cfg, ns, ctx, p.Models)...)
		for _, name := range slices.Sorted(maps.Keys(cfg.Schemas)) {
			s, d := resolveSchema(cfg.Schemas[name], ctx)
			diags = append(diags, d...)
			p.Schemas[ns+name] = s
		}
		for _, name := range slices.Sorted(maps.Keys(cfg.Tools)) {
			t, d := p.resolveTool(cfg.Tools[name], ns, ctx)
			t.Dir = cfg.Dir
			diags = append(diags, d...)
			p.Tools[ns+name] = t
		}
		for _, name := range slices.Sorted(maps.Keys(cfg.Fallbacks)) {
			f := cfg.Fallbacks[name]
			rf := &Fallback{Name: name, NS: ns, Retry: f.Retry, Depth: f.Depth, Mode: f.Mode}
			for _, m := range f.Models {
				if model := p.Models[ns+m.Name]; model != nil {
					rf.Models = append(rf.Models, model)
					diags = append(diags, sameGateway(f, rf.Models[0], model, m)...)
				}
			}
			p.Fallbacks[ns+name] = rf
		}
	}
	return diags
}

// sameGateway reports a model of a gateway-mode chain on another gateway
// than the chain's first model: one request carries the whole chain, so
// every model must be served where that request goes.
func sameGateway(f *config.Fallback, first, model *Model, ref config.Ref) hcl.Diagnostics {
	if f.Mode == config.FallbackClient || model.Gateway == first.Gateway {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Fallback models on different gateways",
		Detail: fmt.Sprintf("In gateway mode, fallback.%s sends one request, with the later models in fallbacks[], to %s, the gateway of model.%s; model.%s is on %s, which that request never reaches. Use mode = \"client\" to have promptform try each model on its own gateway.",
			f.Name, first.Gateway.Address(), first.Name, model.Name, model.Gateway.Address()),
		Subject: ref.SourceRange.Ptr(),
	}}
}

func resolveSchema(s *config.Schema, ctx *hcl.EvalContext) (*Schema, hcl.Diagnostics) {
	rs := &Schema{Name: s.Name, Description: s.Description, Type: s.Type, Strict: s.Strict}
	if s.Type != cty.NilType && !s.Type.IsObjectType() {
		return rs, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid schema type",
			Detail:  fmt.Sprintf("Schema %q must describe an object, such as object({ title = string }): structured answers and tool arguments are JSON objects.", s.Name),
			Subject: s.DeclRange.Ptr()}}
	}
	if s.Type != cty.NilType {
		doc, err := JSONSchemaOf(s.Type)
		if err != nil {
			return rs, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid schema type",
				Detail: fmt.Sprintf("Schema %q: %s.", s.Name, err), Subject: s.DeclRange.Ptr()}}
		}
		rs.JSON, _ = json.Marshal(doc)
		return rs, nil
	}
	v, diags := evalAs(s.JSONSchema, ctx, cty.String, "json_schema")
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() {
		return rs, diags
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(v.AsString()), &doc); err != nil {
		return rs, hcl.Diagnostics{exprDiag(s.JSONSchema, "Invalid JSON Schema",
			fmt.Sprintf("json_schema of schema %q must be a JSON object (a JSON Schema document): %s.", s.Name, err))}
	}
	if err := checkJSONSchema(s.Name, v.AsString()); err != nil {
		return rs, hcl.Diagnostics{exprDiag(s.JSONSchema, "Invalid JSON Schema",
			fmt.Sprintf("json_schema of schema %q is not a valid JSON Schema: %s.", s.Name, err))}
	}
	rs.JSON, _ = json.Marshal(doc)
	return rs, nil
}

func (p *Plan) resolveTool(t *config.Tool, ns string, ctx *hcl.EvalContext) (*Tool, hcl.Diagnostics) {
	rt := &Tool{Name: t.Name, Description: t.Description, Timeout: t.Timeout}
	var diags hcl.Diagnostics
	switch {
	case t.Parameters != nil:
		if s := p.Schemas[ns+t.Parameters.Name]; s != nil {
			rt.Parameters = s.JSON
		}
	case !t.Type.IsObjectType():
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid tool parameters",
			Detail:  fmt.Sprintf("Tool %q: parameters are a JSON object; use type = object({ ... }).", t.Name),
			Subject: t.DeclRange.Ptr()})
	default:
		doc, err := JSONSchemaOf(t.Type)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid tool parameters",
				Detail: fmt.Sprintf("Tool %q: %s.", t.Name, err), Subject: t.DeclRange.Ptr()})
		}
		rt.Parameters, _ = json.Marshal(doc)
	}
	if t.Command != nil {
		v, d := evalAs(t.Command, ctx, cty.List(cty.String), "command")
		diags = append(diags, d...)
		if !d.HasErrors() && v.IsWhollyKnown() && !v.IsNull() {
			if err := gocty.FromCtyValue(v, &rt.Command); err != nil || len(rt.Command) == 0 || rt.Command[0] == "" {
				diags = append(diags, exprDiag(t.Command, "Invalid tool command",
					"command is a list of strings: the program and its arguments, such as [\"python3\", \"tools/lookup.py\"]."))
				rt.Command = nil
			}
		}
	}
	if t.Env != nil {
		v, d := evalAs(t.Env, ctx, cty.Map(cty.String), "env")
		diags = append(diags, d...)
		if !d.HasErrors() && v.IsWhollyKnown() && !v.IsNull() {
			_ = gocty.FromCtyValue(v, &rt.Env)
		}
	}
	return rt, diags
}

// checkJSONSchema compiles a JSON Schema document, as the executor will to
// validate answers, so that a broken one is reported when the plan is made.
func checkJSONSchema(name, doc string) error {
	_, err := CompileJSONSchema(name, []byte(doc))
	return err
}

// CompileJSONSchema compiles the JSON Schema document doc, named name in
// messages. It is read as draft 2020-12 unless it says otherwise with
// "$schema", and no file or URL it refers to is ever loaded, so a schema
// means the same on every machine. Parse failures are returned as they are;
// an invalid schema as a *jsonschema.SchemaValidationError.
func CompileJSONSchema(name string, doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	loc := "promptform:///schema/" + url.PathEscape(name) + ".json"
	if err := c.AddResource(loc, v); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// refuseLoader loads nothing: a schema means the same on every machine.
type refuseLoader struct{}

func (refuseLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("schemas may not refer to other files or URLs (%s)", u)
}
