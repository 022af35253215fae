package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/promptform/promptform/gateway/gatewaytest"
)

// ceiling sends each recorded request body again to a fresh fake gateway's
// chat endpoint, with the same Content-Type and Authorization headers,
// from workers goroutines over one keep-alive transport, and reads every
// answer in full. Its wall time is the most any client could get from the
// fake on this machine with that concurrency. It returns the wall time and
// this process's CPU time over the run (client and fake together).
func ceiling(recorded []gatewaytest.Recorded, workers int) (usage, error) {
	f := newFake()
	defer f.close()
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := f.URL() + "/chat/completions"

	jobs := make(chan gatewaytest.Recorded)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	cpu0 := selfCPU()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for r := range jobs {
				if err := post(client, url, r); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, r := range recorded {
		jobs <- r
	}
	close(jobs)
	wg.Wait()
	u := usage{wall: time.Since(start), cpu: selfCPU() - cpu0}
	if firstErr != nil {
		return u, firstErr
	}
	if n := f.calls(); n != len(recorded) {
		return u, fmt.Errorf("ceiling: the fake received %d requests, not %d", n, len(recorded))
	}
	return u, nil
}

// post sends one recorded request and reads the whole answer.
func post(client *http.Client, url string, r gatewaytest.Recorded) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ceiling: %s", resp.Status)
	}
	return nil
}
