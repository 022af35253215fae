package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/promptform/promptform/gateway/gatewaytest"
)

// runTimeout bounds one promptform run, so that a hung run fails the suite
// instead of stalling it.
const runTimeout = 6 * time.Minute

// suite runs the cases and collects the table's rows.
type suite struct {
	bin    string
	tmp    string  // configurations, one directory per run
	repeat int     // runs of each case small enough to repeat
	dirs   int     // directories made so far, for unique names
	load   float64 // the load average when the suite started
	rows   []row
	notes  []string
}

// result is one run of promptform.
type result struct {
	u     usage
	calls int
	chats []gatewaytest.Recorded // the chat requests, when asked for
}

// run runs promptform with args in dir against a fresh fake gateway. With
// keep set, the result holds the chat requests the fake received.
func (s *suite) run(label, dir string, keep bool, args ...string) (result, error) {
	f := newFake()
	defer f.close()
	p := &promptform{bin: s.bin, url: f.URL(), tmp: s.tmp}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	fmt.Fprintf(os.Stderr, "bench: %s ...", label)
	u, err := p.run(ctx, dir, args...)
	fmt.Fprintf(os.Stderr, " %s\n", seconds(u.wall))
	r := result{u: u}
	if keep {
		r.chats = f.chats()
		r.calls = len(r.chats)
	} else {
		r.calls = f.calls()
	}
	return r, err
}

// repeated runs promptform reps times, each in the directory prepare
// returns, and returns the run with the median wall time.
func (s *suite) repeated(label string, reps int, keep bool, prepare func() (string, error), args ...string) (result, error) {
	var results []result
	for i := range reps {
		dir, err := prepare()
		if err != nil {
			return result{}, err
		}
		r, err := s.run(fmt.Sprintf("%s (run %d of %d)", label, i+1, reps), dir, keep, args...)
		if err != nil {
			return result{}, err
		}
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b result) int { return cmp.Compare(a.u.wall, b.u.wall) })
	return results[len(results)/2], nil
}

// fresh returns a prepare function that writes a new configuration of n
// instances, with no state, for each run.
func (s *suite) fresh(n int) func() (string, error) {
	return func() (string, error) {
		s.dirs++
		return writeConfig(s.tmp, fmt.Sprintf("c%d-%d", s.dirs, n), n)
	}
}

// same returns a prepare function that gives dir every time.
func same(dir string) func() (string, error) {
	return func() (string, error) { return dir, nil }
}
