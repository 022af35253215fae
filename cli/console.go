package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/term"
)

// consoleInput is the file name diagnostics give an expression typed into
// the console.
const consoleInput = "<console-input>"

// consolePrompt is the prompt of the interactive console.
const consolePrompt = "> "

// runConsole evaluates expressions against the configuration and the
// recorded state. On a terminal it is a line editor with history; from a
// pipe it reads one expression per line and exits 1 when any failed.
func runConsole(m *Meta, args []string) int {
	var vars varFlags
	fs := m.newFlags("console", "console [-var NAME=VALUE]... [-var-file=FILE]...")
	vars.bind(fs)
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := m.view()
	c, diags := m.newConsole(vars.args)
	view.diags(diags)
	if diags.HasErrors() {
		return 1
	}
	if in, ok := m.terminalInput(); ok {
		return c.interactive(view, in)
	}
	return c.piped(view)
}

// console evaluates expressions in one context: every variable, local,
// step, model, fallback chain, module and output of the root module, with
// the functions of the configuration.
type console struct {
	m       *Meta
	ctx     *hcl.EvalContext
	secrets []string // the strings of sensitive values, scrubbed from diagnostics
}

// newConsole loads the configuration, its variables and the state, and
// evaluates the configuration against the state as a plan would, calling
// nothing: no catalog is read and no model is asked. A step instance is
// its recorded value, or unknown when it is not recorded.
func (m *Meta) newConsole(args []config.VarArg) (*console, hcl.Diagnostics) {
	cfg, diags := m.loadConfig()
	if diags.HasErrors() {
		return nil, diags
	}
	vars, moreDiags := m.parser.CollectVariables(cfg, args, m.Environ())
	diags = append(diags, moreDiags...)
	_, ws, moreDiags := m.stateBackend()
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	st, moreDiags := m.loadState()
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	p, moreDiags := planner.Build(cfg, planner.Options{Vars: vars, State: st, Offline: true, Workspace: ws, Context: m.ctx})
	diags = append(diags, moreDiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	w, moreDiags := walkValues(p, movedState(st, p.Moves), nil)
	diags = append(diags, errorsAsWarnings(moreDiags)...)
	ctx := consoleContext(w, st)
	return &console{m: m, ctx: ctx, secrets: sensitiveStringsIn(ctx)}, diags
}

// movedState is st with the records the plan's moved blocks carry at
// their new addresses, as apply will record them; st is not changed.
func movedState(st *state.State, moves []planner.MovedRecord) *state.State {
	if len(moves) == 0 {
		return st
	}
	cp := *st
	cp.Steps = maps.Clone(st.Steps)
	for _, mv := range moves {
		delete(cp.Steps, mv.From)
		cp.Steps[mv.Rec.Address] = mv.Rec
	}
	return &cp
}

// errorsAsWarnings returns the errors among diags as warnings: an
// expression of the configuration that fails against recorded values
// (where the plan saw unknown ones) leaves its value unknown, and the
// console still starts. Warnings are left out: the plan reported them.
func errorsAsWarnings(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range errorsOnly(diags) {
		cp := *d
		cp.Severity = hcl.DiagWarning
		out = append(out, &cp)
	}
	return out
}

// walkValues walks the plan's graph as the plan does, but each step
// instance takes its recorded value whether or not its request changed
// (unknown when it has none), as Terraform's console shows the state; the
// instances named in pending (those a plan would run) are unknown.
func walkValues(p *planner.Plan, st *state.State, pending map[string]bool) (*planner.Walk, hcl.Diagnostics) {
	op := &recordedSteps{pending: pending}
	w := &planner.Walk{Op: planner.OpPlan, Plan: p, Scopes: planner.NewScopes(p), State: st, Filter: p.Filter,
		Offline: true, Outputs: map[string]cty.Value{}, Steps: op}
	op.w = w
	var diags hcl.Diagnostics
	failed := map[string]bool{}
	for _, addr := range p.Graph.Order {
		n := p.Graph.Nodes[addr]
		if slices.ContainsFunc(n.Deps, func(d string) bool { return failed[d] }) {
			failed[addr] = true // its value stays unknown
			continue
		}
		d := w.Evaluator(n).Eval(w)
		failed[addr] = d.HasErrors()
		diags = append(diags, d...)
	}
	return w, diags
}

// recordedSteps is the StepOp of the console's walk: every instance is
// decided as one the filter leaves out, which takes its recorded value.
type recordedSteps struct {
	w       *planner.Walk
	pending map[string]bool // instances whose value is unknown
	insts   []*planner.Instance
	vals    []cty.Value
	diags   hcl.Diagnostics
}

var _ planner.StepOp = (*recordedSteps)(nil)

func (o *recordedSteps) Expanded(n *planner.Node, insts []*planner.Instance, diags hcl.Diagnostics) bool {
	o.insts, o.vals, o.diags = insts, make([]cty.Value, len(insts)), diags
	return true
}

func (o *recordedSteps) Filtered(n *planner.Node, i int, d planner.Decision) bool {
	o.vals[i] = d.Value
	if inst := o.insts[i]; o.pending[inst.Address()] || o.pending[inst.Addr.Step.String()] {
		o.vals[i] = o.w.Plan.UnknownStep(inst.Step)
	}
	return true
}

func (o *recordedSteps) Instance(n *planner.Node, i int, inst *planner.Instance) bool {
	if o.pending[inst.Address()] || o.pending[inst.Addr.Step.String()] {
		o.vals[i] = o.w.Plan.UnknownStep(inst.Step)
		return true
	}
	o.vals[i] = o.w.DecideInstance(planner.Facts{Inst: inst}).Value
	return true
}

func (o *recordedSteps) Done(n *planner.Node) hcl.Diagnostics {
	if o.diags.HasErrors() {
		o.w.ScopeOf(n.Mod).SetStep(n.Name, cty.DynamicVal)
		return o.diags
	}
	o.w.ExposeStep(n, o.insts, o.vals)
	return o.diags
}

// consoleContext is the evaluation context of the root module after the
// walk, with output.NAME added: the outputs recorded in the state, and
// those of the configuration not recorded yet as the walk evaluated them.
func consoleContext(w *planner.Walk, st *state.State) *hcl.EvalContext {
	cfg := w.Plan.Config
	var refs []*config.Ref
	add := func(root string, names []string) {
		for _, name := range names {
			refs = append(refs, &config.Ref{Type: root, Name: name})
		}
	}
	add(config.RootLocal, slices.Sorted(maps.Keys(cfg.Locals)))
	add(config.RootStep, slices.Sorted(maps.Keys(cfg.Steps)))
	add(config.RootModel, slices.Sorted(maps.Keys(cfg.Models)))
	add(config.RootFallback, slices.Sorted(maps.Keys(cfg.Fallbacks)))
	add(config.RootModule, slices.Sorted(maps.Keys(cfg.Modules)))
	ctx := w.ScopeOf(w.Plan.Graph.Root()).EvalContext(refs, planner.Repetition{})
	ctx.Variables["output"] = outputsValue(cfg, st, w.Outputs)
	return ctx
}

// outputsValue is the object of output.NAME: recorded outputs, decoded,
// and the configuration's others as evaluated. Sensitive ones are marked.
func outputsValue(cfg *config.Config, st *state.State, evaluated map[string]cty.Value) cty.Value {
	outs := map[string]cty.Value{}
	for name, v := range evaluated {
		outs[name] = v
	}
	for name, o := range st.Outputs {
		if v, err := executor.DecodeOutput(o); err == nil {
			outs[name] = v
		}
	}
	for name, v := range outs {
		sensitive := st.Outputs[name] != nil && st.Outputs[name].Sensitive
		if decl := cfg.Outputs[name]; sensitive || decl != nil && decl.Sensitive {
			outs[name] = v.Mark(planner.Sensitive)
		}
	}
	return cty.ObjectVal(outs)
}

// sensitiveStringsIn returns every string of a sensitive value in ctx's
// variables.
func sensitiveStringsIn(ctx *hcl.EvalContext) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(ctx.Variables)) {
		out = appendSensitive(out, ctx.Variables[name], false)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

func appendSensitive(out []string, v cty.Value, marked bool) []string {
	marked = marked || v.HasMark(planner.Sensitive)
	v, _ = v.Unmark()
	switch {
	case !v.IsKnown() || v.IsNull():
	case v.Type() == cty.String && marked:
		out = append(out, v.AsString())
	case v.CanIterateElements():
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = appendSensitive(out, e, marked)
		}
	}
	return out
}

// eval evaluates one line, line number n of its input.
func (c *console) eval(line string, n int) (cty.Value, *hcl.File, hcl.Diagnostics) {
	// The file's earlier lines are blank, so that a snippet shows line n.
	file := &hcl.File{Bytes: []byte(strings.Repeat("\n", n-1) + line)}
	expr, diags := hclsyntax.ParseExpression([]byte(line), consoleInput, hcl.Pos{Line: n, Column: 1, Byte: n - 1})
	if diags.HasErrors() {
		return cty.NilVal, file, c.scrub(diags)
	}
	v, diags := expr.Value(c.ctx)
	return v, file, c.scrub(diags)
}

// scrub replaces the strings of sensitive values in diagnostics' text: a
// function's error may quote its argument.
func (c *console) scrub(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(c.secrets) == 0 {
		return diags
	}
	for _, d := range diags {
		for _, s := range c.secrets {
			quoted := strconv.Quote(s)
			for _, needle := range []string{s, quoted[1 : len(quoted)-1]} {
				d.Summary = strings.ReplaceAll(d.Summary, needle, planner.SensitiveText)
				d.Detail = strings.ReplaceAll(d.Detail, needle, planner.SensitiveText)
			}
		}
	}
	return diags
}

// run evaluates one line and prints its value on out, or its diagnostics
// on view's stderr; it returns false when it failed.
func (c *console) run(view *viewBase, out io.Writer, line string, n int) bool {
	v, file, diags := c.eval(line, n)
	lineView := *view
	lineView.files = func() map[string]*hcl.File {
		files := maps.Clone(view.files())
		files[consoleInput] = file
		return files
	}
	lineView.diags(diags)
	if diags.HasErrors() {
		return false
	}
	fmt.Fprintln(out, consoleText(v))
	return true
}

// piped reads one expression per line until the input ends or a line
// says exit, skipping blank lines. It returns 1 when any line failed:
// scripts that pipe expressions in can tell.
func (c *console) piped(view *viewBase) int {
	lines, stop := readLines(c.m.Stdin)
	defer stop()
	code := 0
	for n := 1; ; n++ {
		var line string
		var ok bool
		select {
		case <-c.m.ctx.Done():
			return 1
		case line, ok = <-lines:
		}
		switch line = strings.TrimSpace(line); {
		case !ok || line == "exit":
			return code
		case line != "" && !c.run(view, view.stdout, line, n):
			code = 1
		}
	}
}

// readLines sends the lines of r, without their line ends, until it ends;
// stop ends it early.
func readLines(r io.Reader) (lines <-chan string, stop func()) {
	ch, done := make(chan string), make(chan struct{})
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" || err == nil {
				select {
				case ch <- strings.TrimRight(line, "\r\n"):
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch, func() { close(done) }
}

// terminalInput returns stdin when the console can be interactive: stdin
// and stdout are terminals.
func (m *Meta) terminalInput() (*os.File, bool) {
	in, ok := m.Stdin.(*os.File)
	out, outOK := m.Stdout.(*os.File)
	if !m.StdinTTY || !ok || !outOK || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil, false
	}
	return in, true
}

// interactive runs the line editor on the terminal, in raw mode until it
// ends: Ctrl-D, Ctrl-C or exit.
func (c *console) interactive(view *viewBase, in *os.File) int {
	fd := int(in.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return view.fail("Cannot use the terminal", err.Error()+".")
	}
	defer term.Restore(fd, old)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, view.stdout}, consolePrompt)
	if width, height, err := term.GetSize(fd); err == nil && width > 0 && height > 0 {
		t.SetSize(width, height)
	}
	return c.repl(view, t)
}

// repl reads and evaluates lines on t, which keeps their history, until
// the input ends or a line says exit. Values and diagnostics go to t.
func (c *console) repl(view *viewBase, t *term.Terminal) int {
	lineView := *view
	lineView.stdout, lineView.stderr = t, t
	for {
		line, err := t.ReadLine()
		if err != nil && !errors.Is(err, term.ErrPasteIndicator) {
			fmt.Fprintln(t)
			return 0 // Ctrl-D, Ctrl-C or the end of the input
		}
		switch line = strings.TrimSpace(line); line {
		case "":
		case "exit":
			return 0
		default:
			c.run(&lineView, t, line, 1)
		}
	}
}

// consoleText renders a value as the console prints it: as output does
// (HCL, multi-line strings as heredocs), with (known after apply) and
// (sensitive value) for the parts that are unknown or sensitive.
func consoleText(v cty.Value) string {
	if v.IsWhollyKnown() && !v.ContainsMarked() {
		return formatValue(v)
	}
	return strings.TrimSpace(string(hclwrite.Format(consoleTokens(v).Bytes())))
}

// consoleTokens renders a value that may hold unknown or sensitive parts,
// in the layout of hclwrite.TokensForValue.
func consoleTokens(v cty.Value) hclwrite.Tokens {
	if v.HasMark(planner.Sensitive) {
		return wordTokens(planner.SensitiveText)
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case !v.IsKnown():
		return wordTokens(knownAfterApply)
	case v.IsNull() || v.IsWhollyKnown() && !v.ContainsMarked():
		return hclwrite.TokensForValue(v)
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		toks := hclwrite.Tokens{{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")}}
		for it, i := v.ElementIterator(), 0; it.Next(); i++ {
			if i > 0 {
				toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")})
			}
			_, e := it.Element()
			toks = append(toks, consoleTokens(e)...)
		}
		return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
	}
	return objectTokens(v) // a map or an object
}

// objectTokens renders a map or object one attribute a line.
func objectTokens(v cty.Value) hclwrite.Tokens {
	newline := &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")}
	toks := hclwrite.Tokens{{Type: hclsyntax.TokenOBrace, Bytes: []byte("{")}}
	if v.LengthInt() > 0 {
		toks = append(toks, newline)
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if hclsyntax.ValidIdentifier(k.AsString()) {
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenIdent, Bytes: []byte(k.AsString())})
		} else {
			toks = append(toks, hclwrite.TokensForValue(k)...)
		}
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenEqual, Bytes: []byte("=")})
		toks = append(toks, consoleTokens(e)...)
		toks = append(toks, newline)
	}
	return append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrace, Bytes: []byte("}")})
}

// wordTokens is text printed as it is, such as (known after apply).
func wordTokens(s string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: hclsyntax.TokenIdent, Bytes: []byte(s)}}
}
