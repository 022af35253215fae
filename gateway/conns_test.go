package gateway

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestClientReusesConnections sends two rounds of 32 concurrent requests:
// the second round finds an idle connection for each, so it dials none (a
// client that kept two idle connections per host, the default, would dial
// about 30 anew, and an apply at high -parallelism would spend its CPU on
// connecting).
func TestClientReusesConnections(t *testing.T) {
	t.Parallel()
	const n = 32
	var dialed atomic.Int64
	// Every request waits until n are in flight, so that each round holds
	// n connections at once.
	var mu sync.Mutex
	arrived, release := 0, make(chan struct{})
	answer := reply(http.StatusOK, okBody)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived%n == 0 {
			close(release)
		}
		wait := release
		mu.Unlock()
		<-wait
		answer(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := New(Config{BaseURL: srv.URL + "/v1/"})
	round := func() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := c.Chat(context.Background(), hello()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	round()
	first := dialed.Load()
	mu.Lock()
	release = make(chan struct{})
	mu.Unlock()
	round()
	if again := dialed.Load() - first; again != 0 {
		t.Errorf("the second round dialed %d new connections (the first dialed %d); want 0: idle connections were not kept", again, first)
	}
}
