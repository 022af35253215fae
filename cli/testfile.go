package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/config"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// TestSuffix is the file name suffix of test files.
const TestSuffix = ".pftest.hcl"

// testFile is one *.pftest.hcl file: its variables, its mock models and
// its runs, in order.
type testFile struct {
	path  string
	vars  []*hcl.Attribute
	mocks map[string]*mockModel
	runs  []*testRun
}

// testRun is a run block: a plan or an apply of the configuration in the
// file's temporary state, then its asserts.
type testRun struct {
	name     string
	decl     hcl.Range
	command  string // "apply" or "plan"
	vars     []*hcl.Attribute
	targets  []expectedFailure // steps = [...]
	expected []expectedFailure // expect_failures = [...]
	mocks    map[string]*mockModel
	asserts  []*testAssert
}

// expectedFailure is an address of steps or expect_failures: a step
// (step.NAME, step.NAME[KEY], after any module path) or output.NAME.
type expectedFailure struct {
	addr   string
	rng    hcl.Range
	target *addrs.Target // of a step; nil for an output
}

// testAssert is an assert block of a run.
type testAssert struct {
	cond hcl.Expression
	msg  hcl.Expression
	decl hcl.Range
}

// mockModel replaces a model block of the configuration in a test: its
// answers, tried in order, and the text of the default one.
type mockModel struct {
	name    string
	decl    hcl.Range
	answers []*mockAnswer
	def     *string
}

// mockAnswer is an answer block: when it applies (to a step, to a last
// user message matching a pattern) and what it answers (text, a JSON
// value as text, or tool calls).
type mockAnswer struct {
	decl      hcl.Range
	step      string // step.NAME; "" for any
	match     *regexp.Regexp
	text      string
	toolCalls []mockToolCall
}

type mockToolCall struct {
	name      string
	arguments string // JSON
	rng       hcl.Range
}

var (
	testFileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variables"},
		{Type: "mock_model", LabelNames: []string{"name"}},
		{Type: "run", LabelNames: []string{"name"}},
	}}
	runSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "command"}, {Name: "steps"}, {Name: "expect_failures"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "variables"},
			{Type: "mock_model", LabelNames: []string{"name"}},
			{Type: "assert"},
		},
	}
	assertSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true}, {Name: "error_message", Required: true},
	}}
	mockSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "default"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "answer"}},
	}
	answerSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "step"}, {Name: "match"}, {Name: "text"}, {Name: "json"}, {Name: "tool_calls"},
	}}
)

// testFiles lists the test files of dir: *.pftest.hcl in dir, then in
// dir/tests, each in name order. filters, when given, keep the files
// whose path (relative to dir, or as listed) or base name is one of them.
func testFiles(dir string, filters []string) ([]string, error) {
	var out []string
	for _, d := range []string{dir, filepath.Join(dir, "tests")} {
		entries, err := os.ReadDir(d)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), TestSuffix) {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for _, n := range names {
			out = append(out, filepath.Join(d, n))
		}
	}
	if len(filters) == 0 {
		return out, nil
	}
	var kept []string
	for _, path := range out {
		rel, _ := filepath.Rel(dir, path)
		abs, _ := filepath.Abs(path)
		for _, f := range filters {
			fabs, _ := filepath.Abs(f)
			if f == path || filepath.Clean(f) == rel || f == filepath.Base(path) || fabs == abs {
				kept = append(kept, path)
				break
			}
		}
	}
	return kept, nil
}

// parseTestFile reads a test file with the configuration's parser (so that
// diagnostics show its source) and decodes it.
func parseTestFile(p *config.Parser, path string, ctx *hcl.EvalContext) (*testFile, hcl.Diagnostics) {
	f, diags := p.ParseFile(path)
	if diags.HasErrors() {
		return nil, diags
	}
	tf := &testFile{path: path, mocks: map[string]*mockModel{}}
	content, moreDiags := f.Body.Content(testFileSchema)
	diags = append(diags, moreDiags...)
	runs := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		switch b.Type {
		case "variables":
			attrs, d := b.Body.JustAttributes()
			diags = append(diags, d...)
			tf.vars = append(tf.vars, sortedAttrs(attrs)...)
		case "mock_model":
			diags = append(diags, addMock(tf.mocks, b, ctx)...)
		case "run":
			if prev, ok := runs[b.Labels[0]]; ok {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate run block",
					Detail:  fmt.Sprintf("A run named %q is already declared at %s; each run of a file needs its own name.", b.Labels[0], prev),
					Subject: b.DefRange.Ptr()})
				continue
			}
			runs[b.Labels[0]] = b.DefRange
			r, d := decodeRun(b, ctx)
			diags = append(diags, d...)
			if r != nil {
				tf.runs = append(tf.runs, r)
			}
		}
	}
	if len(tf.runs) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No run blocks",
			Detail:  fmt.Sprintf("The test file %s has no run block, so it tests nothing. Add run \"NAME\" { ... }.", path),
			Subject: &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos}})
	}
	return tf, diags
}

// sortedAttrs returns attrs in the order they are written.
func sortedAttrs(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Range.Start.Byte < out[j].Range.Start.Byte })
	return out
}

func decodeRun(b *hcl.Block, ctx *hcl.EvalContext) (*testRun, hcl.Diagnostics) {
	r := &testRun{name: b.Labels[0], decl: b.DefRange, command: "apply", mocks: map[string]*mockModel{}}
	content, diags := b.Body.Content(runSchema)
	if attr, ok := content.Attributes["command"]; ok {
		switch kw := hcl.ExprAsKeyword(attr.Expr); kw {
		case "apply", "plan":
			r.command = kw
		default:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid command",
				Detail: "A run's command is apply (the default) or plan, written without quotes.", Subject: attr.Expr.Range().Ptr()})
		}
	}
	if attr, ok := content.Attributes["steps"]; ok {
		var d hcl.Diagnostics
		r.targets, d = addressList(attr.Expr, "steps", false)
		diags = append(diags, d...)
	}
	if attr, ok := content.Attributes["expect_failures"]; ok {
		var d hcl.Diagnostics
		r.expected, d = addressList(attr.Expr, "expect_failures", true)
		diags = append(diags, d...)
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "variables":
			attrs, d := blk.Body.JustAttributes()
			diags = append(diags, d...)
			r.vars = append(r.vars, sortedAttrs(attrs)...)
		case "mock_model":
			diags = append(diags, addMock(r.mocks, blk, ctx)...)
		case "assert":
			ac, d := blk.Body.Content(assertSchema)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			r.asserts = append(r.asserts, &testAssert{cond: ac.Attributes["condition"].Expr, msg: ac.Attributes["error_message"].Expr, decl: blk.DefRange})
		}
	}
	return r, diags
}

// addressList reads a list of addresses written as references: steps
// (step.NAME, step.NAME[KEY], module.CALL.step.NAME), and with outputs
// set, output.NAME.
func addressList(expr hcl.Expression, attr string, outputs bool) ([]expectedFailure, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	what := "a step, written without quotes: step.NAME, step.NAME[\"key\"] or module.NAME.step.NAME"
	if outputs {
		what = "a step or an output, written without quotes: step.NAME, step.NAME[\"key\"], module.NAME.step.NAME or output.NAME"
	}
	var out []expectedFailure
	for _, e := range exprs {
		bad := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid address in " + attr,
			Detail: fmt.Sprintf("Each element of %s is a reference to %s.", attr, what), Subject: e.Range().Ptr()}
		trav, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() || len(trav) < 2 {
			diags = append(diags, bad)
			continue
		}
		a := expectedFailure{rng: e.Range()}
		if outputs && trav.RootName() == "output" {
			attr, ok := trav[1].(hcl.TraverseAttr)
			if !ok || len(trav) != 2 {
				diags = append(diags, bad)
				continue
			}
			a.addr = "output." + attr.Name
			out = append(out, a)
			continue
		}
		t, err := addrs.TargetOf(trav)
		if err != nil || t.IsModule() {
			diags = append(diags, bad)
			continue
		}
		a.target, a.addr = &t, t.String()
		out = append(out, a)
	}
	return out, diags
}

// addMock decodes a mock_model block into mocks.
func addMock(mocks map[string]*mockModel, b *hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	name := b.Labels[0]
	if prev, ok := mocks[name]; ok {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Duplicate mock_model block",
			Detail:  fmt.Sprintf("A mock for the model %q is already declared at %s.", name, prev.decl),
			Subject: b.DefRange.Ptr()}}
	}
	m := &mockModel{name: name, decl: b.DefRange}
	content, diags := b.Body.Content(mockSchema)
	if attr, ok := content.Attributes["default"]; ok {
		var s string
		diags = append(diags, stringAttr(attr, ctx, &s)...)
		m.def = &s
	}
	for _, blk := range content.Blocks {
		a, d := decodeAnswer(blk, ctx)
		diags = append(diags, d...)
		if a != nil {
			m.answers = append(m.answers, a)
		}
	}
	if len(m.answers) == 0 && m.def == nil && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Mock model without answers",
			Detail: fmt.Sprintf("The mock_model %q has no answer block and no default, so it can answer nothing.", name), Subject: b.DefRange.Ptr()})
	}
	mocks[name] = m
	return diags
}

func decodeAnswer(b *hcl.Block, ctx *hcl.EvalContext) (*mockAnswer, hcl.Diagnostics) {
	content, diags := b.Body.Content(answerSchema)
	if diags.HasErrors() {
		return nil, diags
	}
	a := &mockAnswer{decl: b.DefRange}
	at := content.Attributes
	if attr, ok := at["step"]; ok {
		trav, d := hcl.AbsTraversalForExpr(attr.Expr)
		if d.HasErrors() || len(trav) != 2 || trav.RootName() != "step" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid step",
				Detail: "An answer's step is a reference to a step of the configuration, written without quotes: step = step.NAME.", Subject: attr.Expr.Range().Ptr()})
		} else {
			a.step = addrs.TraversalText(trav)
		}
	}
	if attr, ok := at["match"]; ok {
		var pattern string
		diags = append(diags, stringAttr(attr, ctx, &pattern)...)
		re, err := regexp.Compile(pattern)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid match pattern",
				Detail: fmt.Sprintf("The pattern %q is not a regular expression: %s.", pattern, err), Subject: attr.Expr.Range().Ptr()})
		}
		a.match = re
	}
	var says []string
	if attr, ok := at["text"]; ok {
		diags = append(diags, stringAttr(attr, ctx, &a.text)...)
		says = append(says, "text")
	}
	if attr, ok := at["json"]; ok {
		v, d := attr.Expr.Value(ctx)
		diags = append(diags, d...)
		if !d.HasErrors() {
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid json",
					Detail: fmt.Sprintf("The value cannot be written as JSON: %s.", err), Subject: attr.Expr.Range().Ptr()})
			}
			a.text = string(b)
		}
		says = append(says, "json")
	}
	if attr, ok := at["tool_calls"]; ok {
		calls, d := decodeToolCalls(attr, ctx)
		diags = append(diags, d...)
		a.toolCalls = calls
		says = append(says, "tool_calls")
	}
	if len(says) != 1 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid answer",
			Detail:  fmt.Sprintf("An answer says exactly one of text, json or tool_calls; this one says %s.", orNone(says)),
			Subject: b.DefRange.Ptr()})
	}
	return a, diags
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, " and ")
}

// decodeToolCalls reads tool_calls = [{ name = "...", arguments = {...} }].
func decodeToolCalls(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]mockToolCall, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	bad := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid tool_calls",
		Detail:  `tool_calls is a list of calls, each { name = "TOOL", arguments = { ... } }.`,
		Subject: attr.Expr.Range().Ptr()}
	if !v.IsKnown() || v.IsNull() || !(v.Type().IsTupleType() || v.Type().IsListType()) || v.LengthInt() == 0 {
		return nil, hcl.Diagnostics{bad}
	}
	var calls []mockToolCall
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.Type().IsObjectType() || !e.Type().HasAttribute("name") || e.GetAttr("name").Type() != cty.String {
			return nil, hcl.Diagnostics{bad}
		}
		c := mockToolCall{name: e.GetAttr("name").AsString(), arguments: "{}", rng: attr.Expr.Range()}
		if e.Type().HasAttribute("arguments") {
			args := e.GetAttr("arguments")
			b, err := ctyjson.Marshal(args, args.Type())
			if err != nil {
				return nil, hcl.Diagnostics{bad}
			}
			c.arguments = string(b)
		}
		calls = append(calls, c)
	}
	return calls, diags
}

// stringAttr reads a string attribute, evaluated in ctx (functions, no
// variables).
func stringAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, out *string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(ctx)
	if diags.HasErrors() {
		return diags
	}
	if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid value",
			Detail: fmt.Sprintf("%s must be a string.", attr.Name), Subject: attr.Expr.Range().Ptr()}}
	}
	*out = v.AsString()
	return nil
}
