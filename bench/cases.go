package main

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"time"
)

// applyArgs are the arguments of every measured apply.
var applyArgs = []string{"apply", "-auto-approve", "-parallelism=" + itoa(parallelism)}

// applyAndCeiling measures apply of n calls on a fresh state, then the
// ceiling with the same request bodies, and adds the ceiling's row first.
func (s *suite) applyAndCeiling(n int) (float64, error) {
	r, err := s.repeated("apply "+short(n), s.repeat, true, s.fresh(n), applyArgs...)
	if err != nil {
		return 0, err
	}
	if r.calls != n {
		return 0, fmt.Errorf("apply %d: the fake received %d calls", n, r.calls)
	}
	var runs []usage
	for i := range s.repeat {
		fmt.Fprintf(os.Stderr, "bench: ceiling %s (run %d of %d) ...", short(n), i+1, s.repeat)
		u, err := ceiling(r.chats, parallelism)
		fmt.Fprintf(os.Stderr, " %s\n", seconds(u.wall))
		if err != nil {
			return 0, err
		}
		runs = append(runs, u)
	}
	c := row{name: fmt.Sprintf("ceiling: Go client, %d in flight", parallelism), instances: n, calls: n,
		u: median(runs), inProcess: true}
	rate := c.rate()
	c.ceiling = rate
	a := row{name: fmt.Sprintf("apply %s, fresh state", short(n)), instances: n, calls: r.calls, u: r.u, ceiling: rate}
	a.checks = []check{
		{fmt.Sprintf("≥ %.0f%% of ceiling", 100*targetCeilingShare), a.rate() >= targetCeilingShare*rate},
		{"CPU/call ≤ " + perCall(targetCPUPerCall), a.u.cpu <= targetCPUPerCall*time.Duration(n)},
	}
	s.rows = append(s.rows, c, a)
	return rate, nil
}

// reapply measures apply of n instances on a fresh state (one run), then
// apply again with every instance recorded, which must call nothing.
// With atScale set, the first apply's RSS and state are checked as those
// of the apply at scale are (for -quick, which has none).
func (s *suite) reapply(n int, ceilingRate float64, atScale bool) error {
	dir, err := s.fresh(n)()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	first, err := s.run("apply "+short(n), dir, false, applyArgs...)
	if err != nil {
		return err
	}
	a := row{name: fmt.Sprintf("apply %s, fresh state", short(n)), instances: n, calls: first.calls, u: first.u, ceiling: ceilingRate}
	if atScale {
		if err := s.checkScale(&a, dir); err != nil {
			return err
		}
	}
	r, err := s.repeated("re-apply "+short(n), s.repeat, false, same(dir), applyArgs...)
	if err != nil {
		return err
	}
	re := row{name: fmt.Sprintf("re-apply %s, all recorded", short(n)), instances: n, calls: r.calls, u: r.u}
	re.checks = []check{{"≤ " + seconds(targetReapply) + ", no calls", r.u.wall <= targetReapply && r.calls == 0}}
	s.rows = append(s.rows, a, re)
	return nil
}

// plan measures plan of n instances with no state.
func (s *suite) plan(n int) error {
	reps := s.repeat
	if n > 10_000 {
		reps = 1
	}
	r, err := s.repeated("plan "+short(n), reps, false, s.fresh(n), "plan")
	if err != nil {
		return err
	}
	p := row{name: fmt.Sprintf("plan %s, no state", short(n)), instances: n, calls: r.calls, u: r.u}
	switch n {
	case 10_000:
		p.checks = []check{{"≤ " + seconds(targetPlan10k), r.u.wall <= targetPlan10k}}
	case 100_000:
		p.checks = []check{{"≤ " + seconds(targetPlan100k), r.u.wall <= targetPlan100k},
			{"RSS ≤ " + mebibytes(targetRSS), r.u.rss <= targetRSS}}
	}
	s.rows = append(s.rows, p)
	return nil
}

// bigApply measures apply of n instances on a fresh state, and the size of
// the state it writes against the requests and responses it records.
func (s *suite) bigApply(n int, ceilingRate float64) error {
	dir, err := s.fresh(n)()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r, err := s.run("apply "+short(n), dir, false, applyArgs...)
	if err != nil {
		return err
	}
	a := row{name: fmt.Sprintf("apply %s, fresh state", short(n)), instances: n, calls: r.calls, u: r.u, ceiling: ceilingRate}
	if err := s.checkScale(&a, dir); err != nil {
		return err
	}
	s.rows = append(s.rows, a)
	return nil
}

// checkScale adds to the row of an apply at scale the checks of its peak
// RSS and of the size of the state it wrote in dir, and a note of that
// size.
func (s *suite) checkScale(a *row, dir string) error {
	size, err := measureState(dir)
	if err != nil {
		return err
	}
	a.checks = append(a.checks,
		check{"RSS ≤ " + mebibytes(targetRSS), a.u.rss <= targetRSS},
		check{fmt.Sprintf("state ≤ %.1f× recorded (%.2f×)", targetStateRatio, size.ratio()), size.ratio() <= targetStateRatio})
	s.notes = append(s.notes, size.note(a.name))
	return nil
}

// median returns the run with the median wall time.
func median(runs []usage) usage {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b usage) int { return cmp.Compare(a.wall, b.wall) })
	return sorted[len(sorted)/2]
}
