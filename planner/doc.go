// Package planner turns a decoded configuration into a plan: it finds the
// references of every step, local and output, builds the dependency graph
// (reporting cycles by name), expands for_each and count, renders each step
// instance's chat completion request — with unknown values where an upstream
// step has not run yet — and compares it with the recorded state to decide
// what will run and why.
//
// Plan and apply walk the graph the same way. A Walk carries the operation
// (OpPlan or OpApply), the Scope, the recorded state, the Filter and the
// offline mode; every node evaluates itself for it through its Evaluator
// (walk.go, nodes.go): a local or an output sets its value, a check hands
// its assertions to the walk (apply evaluates them; a plan does not), and
// a step expands and takes each instance through the walk's StepOp. Build
// walks with the plan's StepOp (planwalk.go), which records a Change per
// instance; package executor walks with its own, which re-uses records and
// queues calls. Both decide every instance with Walk.DecideInstance
// (decide.go) — the instance the filter leaves out keeps its recorded
// value, a request not known yet runs if its inputs change, -replace
// forces a rerun, a known request is compared with its record — and take
// from it the value dependents see, so that plan and apply cannot
// disagree.
//
// The planner never calls the network. Its evaluation pieces (Scope, Expand,
// Render, StepValue) are also what package executor uses at apply time, so
// that a request is rendered the same way in both.
package planner
