package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// loadConfig writes the suite's configuration of n instances to a
// temporary directory and loads it.
func loadConfig(b *testing.B, n int) *config.Config {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(configSource(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, diags := config.NewParser().LoadDir(dir)
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	return cfg
}

// buildPlan plans cfg offline against st (nil: no state).
func buildPlan(b *testing.B, cfg *config.Config, st *state.State) *planner.Plan {
	b.Helper()
	p, diags := planner.Build(cfg, planner.Options{Offline: true, State: st})
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	return p
}

// recordedState returns a state that records every instance of cfg with
// the request its plan renders, as an apply would have.
func recordedState(b *testing.B, cfg *config.Config) *state.State {
	b.Helper()
	resp := typicalResponse(b)
	st := state.New()
	for _, c := range buildPlan(b, cfg, nil).Changes {
		rec := newStep(b, 0, resp)
		rec.Address, rec.Key = c.Address, c.Addr.KeyJSON()
		rec.RequestHash, rec.Request = c.Hash, c.Canonical
		st.Steps[c.Address] = rec
	}
	return st
}

// syntheticState returns a state of n steps shaped like those the suite's
// configuration records.
func syntheticState(b *testing.B, n int) *state.State {
	b.Helper()
	resp := typicalResponse(b)
	st := state.New()
	for i := range n {
		rec := newStep(b, i, resp)
		st.Steps[rec.Address] = rec
	}
	return st
}

// newStep returns the record of instance i of step "echo", answered with
// resp, as the executor builds it.
func newStep(b *testing.B, i int, resp *gateway.Response) *state.Step {
	b.Helper()
	req := typicalRequest(i)
	hash, canonical, err := planner.Hash(req)
	if err != nil {
		b.Fatal(err)
	}
	respJSON, err := json.Marshal(resp)
	if err != nil {
		b.Fatal(err)
	}
	return &state.Step{
		Address: fmt.Sprintf("step.echo[%d]", i), Name: "echo", Key: json.RawMessage(fmt.Sprint(i)),
		RequestHash: hash, Request: canonical, Response: respJSON,
		Output: resp.Text(), ToolCalls: []state.ToolCall{}, Model: resp.Model,
		FinishReason: resp.FinishReason(), RequestID: resp.RequestID,
		Usage:     state.Usage{InputTokens: 6, OutputTokens: 6, TotalTokens: 12},
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), DurationMS: 1, Attempts: 1,
	}
}

// typicalRequest is the request instance i of the suite's step sends.
func typicalRequest(i int) *gateway.Request {
	maxTokens := 16
	return &gateway.Request{
		Model:     benchModel,
		Messages:  []gateway.Message{{Role: "user", Content: gateway.TextContent(fmt.Sprintf("Repeat the number %d.", i))}},
		MaxTokens: &maxTokens,
	}
}

// typicalResponse asks the fake gateway once, for an answer of the shape
// apply records.
func typicalResponse(b *testing.B) *gateway.Response {
	b.Helper()
	s := gatewaytest.NewServer()
	defer s.Close()
	c := gateway.New(gateway.Config{BaseURL: s.URL(), APIKey: "bench-key"})
	resp, err := c.Chat(context.Background(), typicalRequest(0))
	if err != nil {
		b.Fatal(err)
	}
	return resp
}
