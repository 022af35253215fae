package main

import "time"

// Targets. A case that misses one is marked ✗ in the table.
const (
	targetCeilingShare = 0.70                   // apply's calls/s over the ceiling's
	targetCPUPerCall   = 200 * time.Microsecond // apply's CPU per call
	targetReapply      = 500 * time.Millisecond // re-apply of 10,000 recorded instances
	targetPlan10k      = 500 * time.Millisecond // plan of 10,000 instances
	targetPlan100k     = 5 * time.Second        // plan of 100,000 instances
	targetRSS          = 1 << 30                // plan and apply of 100,000 instances
	targetStateRatio   = 1.2                    // state.json over the bytes it records
)

// parallelism is apply's -parallelism and the ceiling client's concurrency.
const parallelism = 32

// sizes are the instance counts of a run of the suite.
type sizes struct {
	calls   int   // apply of a fresh state, and the ceiling
	reapply int   // applied once, then applied again with no calls
	plans   []int // plans with no state
	big     int   // apply of a fresh state at scale; 0 skips it
}

// fullSizes are the sizes of a full run.
var fullSizes = sizes{calls: 2000, reapply: 10_000, plans: []int{1000, 10_000, 100_000}, big: 100_000}

// quickSizes are the sizes of -quick: the state is checked on the apply of
// 10,000 instead.
var quickSizes = sizes{calls: 500, reapply: 10_000, plans: []int{1000, 10_000}}
