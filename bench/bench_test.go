package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/promptform/promptform/executor"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// The benchmarks below measure, without subprocesses, the functions that
// plan and apply spend their time in, at the sizes of the suite. Compare
// two trees with benchstat:
//
//	go test ./bench -run '^$' -bench . -benchmem -count 6 > old.txt
//	go test ./bench -run '^$' -bench . -benchmem -count 6 > new.txt
//	benchstat old.txt new.txt
//
// promptform has no profiling flag, so profile a case here instead:
//
//	go test ./bench -run '^$' -bench 'Plan10kRecorded' -cpuprofile cpu.out
//	go tool pprof -top -cum bench.test cpu.out

// BenchmarkPlan10k plans 10,000 instances with no state: what plan and the
// first apply do before any call.
func BenchmarkPlan10k(b *testing.B) {
	cfg := loadConfig(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		buildPlan(b, cfg, nil)
	}
}

// BenchmarkPlan10kRecorded plans 10,000 instances that are all recorded:
// what a re-apply does before it finds that nothing needs calling.
func BenchmarkPlan10kRecorded(b *testing.B) {
	cfg := loadConfig(b, 10_000)
	st := recordedState(b, cfg)
	b.ReportAllocs()
	for b.Loop() {
		p := buildPlan(b, cfg, st)
		if p.HasChanges() {
			b.Fatal("a plan of a fully recorded state has changes")
		}
	}
}

// BenchmarkHash hashes a typical request: its canonical JSON and SHA-256,
// done for every instance by plan and apply.
func BenchmarkHash(b *testing.B) {
	req := typicalRequest(12345)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := planner.Hash(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateEncode encodes a state of 10,000 steps, as Commit writes
// it at the end of an apply.
func BenchmarkStateEncode(b *testing.B) {
	st := syntheticState(b, 10_000)
	var buf bytes.Buffer
	if err := st.Encode(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := st.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateDecode decodes a state of 10,000 steps, as every plan and
// apply does first.
func BenchmarkStateDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := syntheticState(b, 10_000).Encode(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := state.Decode(buf.Bytes(), "benchmark"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecord records one finished step through a Store: a synced
// journal line, what apply does after every call.
func BenchmarkRecord(b *testing.B) {
	store, _, err := state.OpenUnlocked(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	resp := typicalResponse(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := store.Record(newStep(b, i, resp)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkApply2kOffline plans and applies 2,000 instances against the
// offline model, into a fresh state: apply's own cost per call (scheduler,
// rendering, records, the journal and the final commit) without HTTP.
func BenchmarkApply2kOffline(b *testing.B) {
	const n = 2000
	cfg := loadConfig(b, n)
	b.ReportAllocs()
	for b.Loop() {
		store, _, err := state.OpenUnlocked(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		res := executor.Run(context.Background(), buildPlan(b, cfg, store.State()), executor.Options{
			Parallelism: parallelism, Offline: true, Store: store,
			Client: func(*planner.Model) executor.ChatClient { return gateway.Offline{} },
		})
		if res.Diagnostics.HasErrors() || res.Called != n {
			b.Fatalf("apply: %d called, %s", res.Called, res.Diagnostics.Error())
		}
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
}

// BenchmarkChat sends one chat request through gateway.Client to the fake
// gateway over loopback and decodes the answer; the fake's own work, in
// this process, is counted too.
func BenchmarkChat(b *testing.B) {
	s := gatewaytest.NewServer()
	defer s.Close()
	c := gateway.New(gateway.Config{BaseURL: s.URL(), APIKey: "bench-key"})
	req := typicalRequest(12345)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Chat(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit10k folds a state of 10,000 steps into state.json: what
// apply does once at its end.
func BenchmarkCommit10k(b *testing.B) {
	store, _, err := state.OpenUnlocked(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if err := store.Replace(syntheticState(b, 10_000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := store.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
