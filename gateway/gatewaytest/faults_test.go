package gatewaytest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
)

// newFaults starts a Faults server in front of a new Server, both closed
// at the end of the test, and a client for it with the given retries and
// a per-attempt timeout of 100ms.
func newFaults(t *testing.T, retries int, cfg gatewaytest.FaultConfig) (*gatewaytest.Faults, *gatewaytest.Server, *gateway.Client) {
	t.Helper()
	s := gatewaytest.NewServer()
	t.Cleanup(s.Close)
	f := gatewaytest.NewFaults(s, cfg)
	t.Cleanup(f.Close)
	return f, s, gateway.New(gateway.Config{BaseURL: f.URL(), MaxRetries: retries, Timeout: 100 * time.Millisecond})
}

// faultsOf lists the faults of every arrival, in order of arrival.
func faultsOf(asked []gatewaytest.Asked) []gatewaytest.Fault {
	var out []gatewaytest.Fault
	for _, a := range asked {
		for _, x := range a.Arrivals {
			out = append(out, x.Fault)
		}
	}
	return out
}

func TestFaultKinds(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cfg       gatewaytest.FaultConfig
		status    int  // of the APIError; 0 for a transport error or none
		transient bool // the error is transient; false for no error
		want      gatewaytest.Arrival
	}{
		"none": {cfg: gatewaytest.FaultConfig{},
			want: gatewaytest.Arrival{Fault: gatewaytest.FaultNone, Done: true, Status: 200, Delivered: true, Text: "echo: hi"}},
		"503": {cfg: gatewaytest.FaultConfig{Fail503: 1}, status: 503, transient: true,
			want: gatewaytest.Arrival{Fault: gatewaytest.Fault503, Done: true, Status: 503}},
		"429": {cfg: gatewaytest.FaultConfig{Throttle429: 1, RetryAfter: 20 * time.Millisecond}, status: 429, transient: true,
			want: gatewaytest.Arrival{Fault: gatewaytest.Fault429, Done: true, Status: 429}},
		"drop": {cfg: gatewaytest.FaultConfig{Drop: 1}, transient: true,
			want: gatewaytest.Arrival{Fault: gatewaytest.FaultDrop, Done: true}},
		"stall": {cfg: gatewaytest.FaultConfig{Stall: 1}, transient: true,
			want: gatewaytest.Arrival{Fault: gatewaytest.FaultStall, Done: true}},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f, s, c := newFaults(t, -1, test.cfg)
			resp, err := c.Chat(context.Background(), ask("m", "hi"))
			var apiErr *gateway.APIError
			switch {
			case !test.transient && (err != nil || resp.Text() != "echo: hi"):
				t.Fatalf("wrong answer\ngot:  %v, %v\nwant: echo: hi", resp, err)
			case test.transient && gateway.Classify(err) != gateway.ClassTransient:
				t.Fatalf("wrong error\ngot:  %v (%s)\nwant: a transient error", err, gateway.Classify(err))
			case test.status != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != test.status):
				t.Fatalf("wrong error\ngot:  %v\nwant: status %d", err, test.status)
			case test.status == 429 && apiErr.RetryAfter != 20*time.Millisecond:
				t.Errorf("wrong Retry-After\ngot:  %s\nwant: 20ms", apiErr.RetryAfter)
			}
			asked := f.Take()
			if len(asked) != 1 || asked[0].Prompt != "hi" || len(asked[0].Key) != 64 || len(asked[0].Arrivals) != 1 {
				t.Fatalf("wrong record\ngot:  %+v\nwant: one arrival of \"hi\"", asked)
			}
			got := asked[0].Arrivals[0]
			if got.At.IsZero() || got.Took <= 0 {
				t.Errorf("arrival without its times: %+v", got)
			}
			got.At, got.Took = time.Time{}, 0
			if got != test.want {
				t.Errorf("wrong arrival\ngot:  %+v\nwant: %+v", got, test.want)
			}
			wantPassed := 0
			if test.want.Fault == gatewaytest.FaultNone {
				wantPassed = 1
			}
			if n := len(s.Requests()); n != wantPassed {
				t.Errorf("the wrapped server recorded %d requests, want %d", n, wantPassed)
			}
		})
	}
}

// An event stream passes through whole and counts as delivered, without
// a text.
func TestFaultsPassStreams(t *testing.T) {
	t.Parallel()
	f, _, c := newFaults(t, -1, gatewaytest.FaultConfig{})
	s, err := c.ChatStream(context.Background(), ask("m", "stream me"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for s.Next() {
	}
	if s.Err() != nil || s.Response().Text() != "echo: stream me" {
		t.Fatalf("wrong stream\ngot:  %q, %v\nwant: \"echo: stream me\"", s.Response().Text(), s.Err())
	}
	asked := f.Take()
	if len(asked) != 1 || len(asked[0].Delivered()) != 1 || asked[0].Arrivals[0].Text != "" {
		t.Errorf("wrong record\ngot:  %+v\nwant: one delivered arrival without a text", asked)
	}
}

// A client that retries asks each request at most MaxRetries+1 times;
// Take counts afresh.
func TestFaultsCountPerRequest(t *testing.T) {
	t.Parallel()
	f, _, c := newFaults(t, 2, gatewaytest.FaultConfig{Throttle429: 1})
	for _, p := range []string{"a", "b"} {
		if _, err := c.Chat(context.Background(), ask("m", p)); err == nil {
			t.Fatalf("%s: answered through a 429 every time", p)
		}
	}
	asked := f.Take()
	if len(asked) != 2 {
		t.Fatalf("wrong number of distinct requests\ngot:  %d\nwant: 2", len(asked))
	}
	for _, a := range asked {
		if len(a.Arrivals) != 3 || len(a.Delivered()) != 0 {
			t.Errorf("%q: %d arrivals, %d delivered; want 3, 0", a.Prompt, len(a.Arrivals), len(a.Delivered()))
		}
	}
	if again := f.Take(); len(again) != 0 {
		t.Errorf("Take did not start afresh: %+v", again)
	}
}

// The same seed and order of arrival give the same faults, at about the
// rates asked.
func TestFaultsSeeded(t *testing.T) {
	t.Parallel()
	cfg := gatewaytest.FaultConfig{Seed: 7, Fail503: 0.2, Throttle429: 0.1, Drop: 0.1}
	const n = 300
	run := func() []gatewaytest.Fault {
		f, _, c := newFaults(t, -1, cfg)
		for i := range n {
			_, _ = c.Chat(context.Background(), ask("m", fmt.Sprintf("%03d", i)))
		}
		asked := f.Take() // sorted by key: the same order in both runs
		if len(asked) != n {
			t.Fatalf("wrong number of distinct requests\ngot:  %d\nwant: %d", len(asked), n)
		}
		return faultsOf(asked)
	}
	first, second := run(), run()
	counts := map[gatewaytest.Fault]int{}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: fault %s, then %s with the same seed", i, first[i], second[i])
		}
		counts[first[i]]++
	}
	want := map[gatewaytest.Fault]float64{gatewaytest.Fault503: 0.2, gatewaytest.Fault429: 0.1, gatewaytest.FaultDrop: 0.1, gatewaytest.FaultNone: 0.6}
	for fault, rate := range want {
		if got := float64(counts[fault]) / n; got < rate/2 || got > rate*1.5 {
			t.Errorf("fault %s: rate %.2f, want about %.2f", fault, got, rate)
		}
	}
}

func TestFaultsBadRates(t *testing.T) {
	t.Parallel()
	tests := map[string]gatewaytest.FaultConfig{
		"negative":      {Drop: -0.1},
		"more than one": {Fail503: 0.6, Stall: 0.5},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewFaults(%+v) did not panic", cfg)
				}
			}()
			gatewaytest.NewFaults(gatewaytest.NewServer(), cfg).Close()
		})
	}
}

// Close lets a stall go whose client never gives up.
func TestFaultsCloseEndsStall(t *testing.T) {
	t.Parallel()
	s := gatewaytest.NewServer()
	defer s.Close()
	f := gatewaytest.NewFaults(s, gatewaytest.FaultConfig{Stall: 1})
	c := gateway.New(gateway.Config{BaseURL: f.URL(), MaxRetries: -1, Timeout: -1})
	done := make(chan error)
	go func() {
		_, err := c.Chat(context.Background(), ask("m", "x"))
		done <- err
	}()
	for len(f.Asked()) == 0 {
		time.Sleep(time.Millisecond)
	}
	f.Close()
	select {
	case err := <-done:
		if gateway.Classify(err) != gateway.ClassTransient {
			t.Errorf("wrong error\ngot:  %v\nwant: a transient connection error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled request outlived Close")
	}
}
