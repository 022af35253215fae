package cli

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/executor"
)

// EnvGatewayURL overrides every gateway's URL.
const EnvGatewayURL = "PROMPTFORM_GATEWAY_URL"

func runApply(m *Meta, args []string) int {
	var pf planFlags
	fs := pf.bind(m, "apply", "apply [-auto-approve] [-parallelism=N] [-json] [-junit-xml=FILE] [-offline] [-replay] [-budget=USD] [-target=ADDR]... [-exclude=ADDR]... [-replace=ADDR]... [-var NAME=VALUE]... [-var-file=FILE]... [PLANFILE]")
	autoApprove := fs.Bool("auto-approve", false, "run without asking for confirmation")
	parallelism := fs.Int("parallelism", executor.DefaultParallelism, "how many calls may be in flight at once")
	junitXML := fs.String("junit-xml", "", "also write a JUnit XML report to this file: one test case per step instance (per sample with repeat)")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	if *parallelism < 1 {
		fmt.Fprintln(m.Stderr, "Error: -parallelism must be at least 1.")
		return 1
	}
	base := m.view()
	planFile := fs.Arg(0)
	if planFile != "" && (len(pf.vars.args) > 0 || pf.offline || pf.replay || len(pf.targets)+len(pf.excludes)+len(pf.replace) > 0) {
		return base.fail("Options with a saved plan", "A saved plan carries its own variables, mode and targets: apply PLANFILE takes none of -var, -var-file, -offline, -replay, -target, -exclude or -replace.")
	}
	op := &applyOp{
		pf: pf, planFile: planFile, autoApprove: *autoApprove, parallelism: *parallelism,
		view: newApplyView(pf.json, base), junitPath: *junitXML,
	}
	if op.junitPath != "" {
		if err := checkJUnitPath(op.junitPath); err != nil {
			op.view.diags(junitWriteFailed(op.junitPath, err, "nothing was run"))
			return 1
		}
		op.junit = newJUnitReport(time.Now)
		refused := needsConfirmation // confirm cannot ask: no terminal, or -json
		if m.StdinTTY && !pf.json {
			refused = applyCancelled
		}
		op.view = junitView{applyView: op.view, report: op.junit, refused: refused}
	}
	return op.writeJUnit(m.apply(op))
}

// writeJUnit writes the JUnit report of -junit-xml, if asked for, at the
// end of an apply, whatever its outcome: code is the apply's exit code,
// and the result is 1 when the report cannot be written.
func (op *applyOp) writeJUnit(code int) int {
	if op.junit == nil {
		return code
	}
	if err := op.junit.write(op.junitPath, code); err != nil {
		op.view.diags(junitWriteFailed(op.junitPath, err, "the run itself is recorded in the state"))
		return 1
	}
	return code
}

// junitWriteFailed is the error of a JUnit report that cannot be written.
func junitWriteFailed(path string, err error, after string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot write the JUnit report",
		Detail: fmt.Sprintf("-junit-xml=%s: %v; %s.", path, err, after)}}
}

// needsConfirmation is the error of an apply that would run steps but
// cannot ask whether to.
var needsConfirmation = hcl.Diagnostics{{
	Severity: hcl.DiagError,
	Summary:  "Apply needs confirmation",
	Detail: "apply asks before it spends tokens, but standard input is not a terminal (or -json is set), so it cannot ask. " +
		"Review the plan and run apply -auto-approve to go ahead without asking.",
}}

// confirm asks on a terminal; it refuses when stdin is not one.
func (v applyHuman) confirm() bool {
	if !v.stdinTTY {
		v.diags(needsConfirmation)
		return false
	}
	fmt.Fprintf(v.stderr, "\n%s\n  Only 'yes' will be accepted.\n\n  Enter a value: ", v.paint.bold("Do you want to run these steps?"))
	line, _ := bufio.NewReader(v.stdin).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(v.stderr, "\nApply cancelled.")
		return false
	}
	fmt.Fprintln(v.stderr)
	return true
}
