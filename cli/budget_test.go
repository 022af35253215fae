package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// runEnv runs promptform in dir with env as its whole environment and
// returns its exit code and output, stderr on one line (its diagnostics
// are wrapped).
func runEnv(t *testing.T, dir string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx := context.Background()
	code = Run(ctx, ctx, append([]string{"-chdir=" + dir, "-no-color"}, args...), Streams{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv:  func(name string) string { return env[name] },
		Environ: func() []string { return nil },
	})
	return code, out.String(), strings.Join(strings.Fields(errOut.String()), " ")
}

// budgetDir writes src as the configuration of a new directory.
func budgetDir(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// twoHundred is 200 calls whose prompts (and so the fake's echoed answers)
// are var.words words long, billed at the catalog's global tier of
// claude-haiku: $1 in, $5 out per million tokens.
const twoHundred = `
variable "words" {
  type    = number
  default = 1
}
model "haiku" {
  id         = "claude-haiku-4-5-20251001"
  max_tokens = 100
  params     = { model_region = "global" }
}
step "s" {
  for_each = toset([for i in range(200) : format("k%03d", i)])
  model    = model.haiku
  prompt   = join(" ", concat(["item", each.key], [for i in range(var.words) : "word"]))
}
`

var haikuGlobal = state.Price{Input: 1, Output: 5}

// spentOn adds up the cost of the records of dir whose output holds
// marker, and counts them.
func spentOn(t *testing.T, dir, marker string) (usd float64, n int) {
	t.Helper()
	st, err := state.Load(state.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range st.Steps {
		if strings.Contains(rec.Output, marker) {
			usd += planner.CostOf(rec.Usage, haikuGlobal)
			n++
		}
	}
	return usd, n
}

// A 200-call run with a budget of half its cost stops starting calls,
// records what finished within the budget and says what it spent; the
// next apply runs the rest. Its plan must pass the budget, so the state
// first records short answers of the same step: the plan expects answers
// that short, and the run meets long ones, as when a changed prompt makes
// a step answer at more length than it used to.
func TestBudgetStopsTwoHundredCalls(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	env := map[string]string{EnvGatewayURL: srv.URL(), "ASSEMBLYAI_API_KEY": "k"}
	long := strings.Repeat(" word", 40)

	ref := budgetDir(t, twoHundred)
	if code, _, stderr := runEnv(t, ref, env, "apply", "-auto-approve", "-var", "words=40"); code != 0 {
		t.Fatalf("apply without a budget: exit %d\n%s", code, stderr)
	}
	actual, n := spentOn(t, ref, long)
	if n != 200 || actual == 0 {
		t.Fatalf("the run without a budget recorded %d long answers for $%g", n, actual)
	}
	budget := actual / 2

	dir := budgetDir(t, twoHundred)
	if code, _, stderr := runEnv(t, dir, env, "apply", "-auto-approve"); code != 0 {
		t.Fatalf("apply of short answers: exit %d\n%s", code, stderr)
	}
	before := chatRequests(srv)
	code, _, stderr := runEnv(t, dir, env, "apply", "-auto-approve", "-var", "words=40", fmt.Sprintf("-budget=%.9f", budget))
	if code != 1 || !strings.Contains(stderr, "Apply stopped at the budget: Spent $") || !strings.Contains(stderr, "instances were not run") {
		t.Fatalf("apply -budget=%g: exit %d, want 1 saying what was spent\n%s", budget, code, stderr)
	}
	spent, done := spentOn(t, dir, long)
	sent := chatRequests(srv) - before
	t.Logf("budget $%g of $%g: %d calls, $%g recorded", budget, actual, done, spent)
	switch {
	case spent > budget:
		t.Errorf("recorded $%g, more than the budget of $%g", spent, budget)
	case done == 0 || done == 200 || sent != done:
		t.Errorf("%d calls sent, %d recorded of 200; want as many, some but not all", sent, done)
	case !strings.Contains(stderr, fmt.Sprintf("; %d instances were not run", 200-done)):
		t.Errorf("stderr does not count the %d instances not run:\n%s", 200-done, stderr)
	case !strings.Contains(stderr, "Spent "+usd(spent)+" of the "+usd(budget)+" budget"):
		t.Errorf("stderr does not say %s of %s was spent:\n%s", usd(spent), usd(budget), stderr)
	}

	before = chatRequests(srv)
	if code, _, stderr := runEnv(t, dir, env, "apply", "-auto-approve", "-var", "words=40"); code != 0 {
		t.Fatalf("apply again without a budget: exit %d\n%s", code, stderr)
	}
	if sent, all := chatRequests(srv)-before, 200-done; sent != all {
		t.Errorf("the second apply sent %d requests, want the %d not run", sent, all)
	}
	if _, n := spentOn(t, dir, long); n != 200 {
		t.Errorf("%d long answers recorded after the second apply, want 200", n)
	}
}

// local is a gateway without a catalog, with one model priced by its
// block and one with no price.
const local = `
gateway "local" { url = %q }
model "priced" {
  id         = "my-model"
  gateway    = gateway.local
  max_tokens = 20
  price      = { input = 2, output = 8 }
}
model "free" {
  id         = "other-model"
  gateway    = gateway.local
  max_tokens = 20
}
model "endless" {
  id      = "my-model"
  gateway = gateway.local
  price   = { input = 2, output = 8 }
}
step "a" {
  model  = model.%s
  prompt = "hello"
}
`

func TestBudgetLocalGateway(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	srv.SetModels() // no catalog
	tests := map[string]struct {
		model string
		code  int
		want  []string
		calls int
	}{
		"a model priced by its block runs": {model: "priced", calls: 1,
			want: []string{"Apply complete! 1 called"}},
		"an unpriced model is refused": {model: "free", code: 1, want: []string{
			"Model has no price", `model.free (id "other-model") has no price: its block sets none and the catalog of gateway.local lists no price for it. step.a would call it`,
			"set by -budget", "Set price = { input = ..., output = ... } on model.free"}},
		"an unbounded answer is refused": {model: "endless", code: 1, want: []string{
			"Answer length not bounded", `step.a calls model.endless (id "my-model")`, "set max_tokens on step.a or on model.endless"}},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			dir := budgetDir(t, fmt.Sprintf(local, srv.URL(), test.model))
			before := chatRequests(srv)
			code, _, stderr := runEnv(t, dir, nil, "apply", "-auto-approve", "-budget=1")
			if code != test.code {
				t.Fatalf("exit %d, want %d\n%s", code, test.code, stderr)
			}
			for _, w := range test.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if sent := chatRequests(srv) - before; sent != test.calls {
				t.Errorf("%d requests sent, want %d", sent, test.calls)
			}
		})
	}
}
