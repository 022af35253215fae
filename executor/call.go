package executor

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"reflect"
)

// call is one instance's request, ready to send: everything the runner
// needs to run the instance, worked out beforehand by the scheduler.
type call struct {
	inst      *planner.Instance
	rendered  *planner.Rendered
	req       *gateway.Request
	hash      string
	canonical []byte
	model     *planner.Model
	schema    *resultSchema            // compiled, when the step has a schema
	tools     map[string]*resultSchema // the parameters of each tool offered, compiled
	redact    redactor                 // scrubs sensitive values from error text
	// conds is where the step's postconditions are evaluated (self is
	// added to it); nil when the step has none.
	conds *hcl.EvalContext
	// used: some other node (a step, a local, an output) refers to the
	// step, so the value of its answer is needed.
	used bool
	// prices prices the record: the plan, whose models and catalogs know
	// the prices; nil leaves the record unpriced.
	prices *planner.Plan
}

// newCall encodes a rendered request and compiles the schemas its answer
// and its tool calls must match. The error says why the request cannot be
// sent; it may quote the request, so it is to be scrubbed by rd.
//
// planned is the plan's change of the instance, or nil: when the plan knew
// the request and it is the same now, its hash and encoding are re-used
// instead of being computed again.
func newCall(r *planner.Rendered, rd redactor, schemas *schemaCache, planned *planner.Change) (*call, error) {
	c := &call{inst: r.Instance, rendered: r, model: r.Model, redact: rd}
	var err error
	if c.req, err = r.Request(); err != nil {
		return nil, err
	}
	if planned != nil && planned.Request != nil && planned.Canonical != nil && reflect.DeepEqual(planned.Request, c.req) {
		c.hash, c.canonical = planned.Hash, planned.Canonical // the sample's identity already
	} else {
		if c.hash, c.canonical, err = planner.Hash(c.req); err != nil {
			return nil, err
		}
		c.hash = planner.SampleHash(c.hash, r.Instance.Addr.Sample)
	}
	if r.Schema != nil {
		if c.schema, err = schemas.schema(r.Schema); err != nil {
			return nil, err
		}
	}
	if c.tools, err = schemas.toolParams(r.Tools); err != nil {
		return nil, err
	}
	return c, nil
}

// schemaCache compiles each schema block and each tool's parameters once
// per run. It is not safe for concurrent use; the schemas it returns are.
type schemaCache struct {
	schemas map[string]*resultSchema // by schema block's name and document: two modules may each have a schema of one name
	params  map[string]*resultSchema // by tool block's name and parameters; nil when a tool has no parameters
}

func newSchemaCache() *schemaCache {
	return &schemaCache{schemas: map[string]*resultSchema{}, params: map[string]*resultSchema{}}
}

// schema returns the compiled JSON Schema of a schema block.
func (sc *schemaCache) schema(s *planner.Schema) (*resultSchema, error) {
	key := s.Name + "\x00" + string(s.JSON)
	if c, ok := sc.schemas[key]; ok {
		return c, nil
	}
	c, err := compileSchema(s.Name, s.JSON)
	if err != nil {
		return nil, err
	}
	sc.schemas[key] = c
	return c, nil
}

// toolParams returns the compiled parameters of each tool offered, keyed
// by tool name.
func (sc *schemaCache) toolParams(tools []*planner.Tool) (map[string]*resultSchema, error) {
	out := make(map[string]*resultSchema, len(tools))
	for _, t := range tools {
		key := t.Name + "\x00" + string(t.Parameters)
		c, ok := sc.params[key]
		if !ok {
			if len(t.Parameters) > 0 {
				var err error
				if c, err = compileSchema("tool."+t.Name, t.Parameters); err != nil {
					return nil, err
				}
			}
			sc.params[key] = c
		}
		out[t.Name] = c
	}
	return out, nil
}
