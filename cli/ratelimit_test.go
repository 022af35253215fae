package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
)

// TestApplyHonoursRateLimits runs 100 steps on one model against a fake
// gateway that allows 20 requests a second per model and answers 429 with
// Retry-After and x-ratelimit headers beyond that. promptform paces the
// model at requests_per_minute = 1500 (one start per 40ms) and pauses it
// when the gateway says so (x-ratelimit-remaining 0 until the reset, or a
// 429's Retry-After): every step must end recorded, and no request may
// start earlier than the pacing allows.
func TestApplyHonoursRateLimits(t *testing.T) {
	srv := gatewaytest.NewServer()
	defer srv.Close()
	srv.SetRateLimit(20, time.Second)
	t.Setenv(EnvGatewayURL, srv.URL())
	t.Setenv("ASSEMBLYAI_API_KEY", "rate-key")

	dir := t.TempDir()
	src := `
model "m" {
  id                  = "claude-haiku-4-5-20251001"
  requests_per_minute = 1500
}
step "s" {
  count  = 100
  model  = model.m
  prompt = "item ${count.index}"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, "apply", "-auto-approve", "-parallelism=20")

	st, err := state.Load(state.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, ok := st.Steps[fmt.Sprintf("step.s[%d]", i)]; !ok {
			t.Errorf("step.s[%d] is not recorded", i)
		}
	}

	var starts []time.Time
	limited := 0
	for _, r := range srv.Requests() {
		if r.Method != http.MethodPost {
			continue
		}
		starts = append(starts, r.At)
		if r.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	// Lower bounds only: a slow machine spaces requests further, never closer.
	// One request may reach the fake late by a scheduling delay, so k gaps
	// are never shorter than k intervals less one such delay.
	const interval, slack = 40 * time.Millisecond, 20 * time.Millisecond
	for i := range starts {
		for j := i + 1; j < len(starts); j++ {
			if gap, min := starts[j].Sub(starts[i]), time.Duration(j-i)*interval-slack; gap < min {
				t.Fatalf("requests %d and %d arrived %s apart; requests_per_minute allows no less than %s", i, j, gap, min)
			}
		}
	}
	t.Logf("%d requests, %d answered 429", len(starts), limited)
}
