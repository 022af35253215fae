package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// TestCostEstimateAccuracy plans and applies a 100-instance pipeline
// against the fake gateway, whose catalog lists prices and whose answers
// echo the prompt (so each answer's length is stable from run to run),
// and compares each plan's expected cost with the cost its apply records:
// the first plan, which has no records to calibrate by, within 2×; the
// plans after it, calibrated by the first run, within 10%.
func TestCostEstimateAccuracy(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	items := map[string]string{}
	for i := range 100 {
		items[fmt.Sprintf("item%03d", i)] = itemText(i)
	}
	b, _ := json.Marshal(items)
	write := func(prompt string) {
		t.Helper()
		src := `model "haiku" { id = "claude-haiku-4-5-20251001" }

step "summary" {
  for_each   = jsondecode(file("items.json"))
  model      = model.haiku
  max_tokens = 100
  prompt     = "` + prompt + `\n\n${each.value}"
}
`
		if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "items.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvGatewayURL: srv.URL(), "ASSEMBLYAI_API_KEY": "test-key"}
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		ctx := context.Background()
		code := Run(ctx, ctx, append([]string{"-chdir=" + dir}, args...), Streams{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv:  func(k string) string { return env[k] },
			Environ: func() []string { return nil },
		})
		if code != 0 {
			t.Fatalf("promptform %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		}
		return out.String()
	}
	// expected plans with args and returns the summary's estimate, after
	// checking that the human plan shows it.
	expected := func(args ...string) planner.CostEstimate {
		t.Helper()
		if human := run(append([]string{"plan"}, args...)...); !strings.Contains(human, "\nCost: ≈ $") {
			t.Fatalf("the plan shows no cost:\n%s", human)
		}
		var est planner.CostEstimate
		sc := bufio.NewScanner(strings.NewReader(run(append([]string{"plan", "-json"}, args...)...)))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev struct {
				Type string                `json:"type"`
				Cost *planner.CostEstimate `json:"cost"`
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "summary" && ev.Cost != nil {
				est = *ev.Cost
			}
		}
		if est.Calls != 100 || len(est.Unpriced) != 0 {
			t.Fatalf("estimate %+v, want 100 priced calls", est)
		}
		return est
	}
	// recorded applies with args and returns what the calls it made cost:
	// their recorded usage at the price the gateway's catalog sets for
	// them (haiku, us tier: $1.10 in, $5.50 out per million tokens).
	recorded := func(args ...string) float64 {
		t.Helper()
		before := srv.Requests()
		run(append([]string{"apply", "-auto-approve"}, args...)...)
		if n := len(srv.Requests()) - len(before); n < 100 {
			t.Fatalf("apply made %d requests, want 100", n)
		}
		st, err := state.Load(state.Path(dir))
		if err != nil {
			t.Fatal(err)
		}
		price := state.Price{Input: 1.1, Output: 5.5}
		usd := 0.0
		for _, rec := range st.Steps {
			usd += planner.CostOf(rec.Usage, price)
			if rec.Cost != nil && !costNear(rec.Cost.USD, planner.CostOf(rec.Usage, price)) {
				t.Errorf("%s recorded $%v, want $%v", rec.Address, rec.Cost.USD, planner.CostOf(rec.Usage, price))
			}
		}
		return usd
	}

	write("Summarise this in one sentence:")
	first := expected()
	firstActual := recorded()
	again := expected("-replace=step.summary")
	againActual := recorded("-replace=step.summary")
	write("Summarise this in one short sentence:")
	edited := expected()
	editedActual := recorded()

	for _, m := range []struct {
		name          string
		est           planner.CostEstimate
		actual, bound float64
	}{
		{"first plan (no records)", first, firstActual, 2},
		{"second plan, -replace", again, againActual, 1.1},
		{"third plan, prompt edited", edited, editedActual, 1.1},
	} {
		ratio := m.est.Expected / m.actual
		t.Logf("%s: expected $%.6f, recorded $%.6f, ratio %.3f (at most $%.4f)", m.name, m.est.Expected, m.actual, ratio, m.est.Max)
		if ratio > m.bound || ratio < 1/m.bound {
			t.Errorf("%s: expected $%v against $%v recorded: off by more than %v×", m.name, m.est.Expected, m.actual, m.bound)
		}
		if m.est.Max < m.actual {
			t.Errorf("%s: at most $%v, yet $%v was recorded", m.name, m.est.Max, m.actual)
		}
	}
}

// itemText is the text of item i: 40 to 80 words, the same every run.
func itemText(i int) string {
	words := strings.Fields(`the pipeline renders every request before it runs and keeps what each
step used last time so that a plan can say what a run will cost before any
model is called budgets stop a run before it spends more than was allowed and
the state records the usage of every answer with the price it was billed at`)
	n := 40 + (i*37)%41
	out := make([]string, n)
	for j := range out {
		out[j] = words[(i+j*7)%len(words)]
	}
	return strings.Join(out, " ")
}

func costNear(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}
