// Package executor applies a plan: it walks the step graph with bounded
// parallelism, renders each step instance's final request from the outputs
// of the steps it depends on, re-uses the recorded response when the request
// is unchanged, otherwise sends it through a ChatClient, and records every
// finished instance in the state as soon as it finishes.
//
// Two parts share the work. The scheduler (scheduler.go, nodes.go,
// finished.go) only schedules: it walks the plan's graph as the plan was
// made, evaluating each node through its planner.Evaluator with a
// planner.Walk in apply mode, so that locals, outputs, checks, expansion,
// the -target/-exclude filter and the keep/run decision
// (planner.Walk.DecideInstance) are the planner's own. Its step operation
// (applyOp) renders each instance's request, re-uses the record of a kept
// one at once and queues the others as calls. The scheduler keeps that
// queue, paces it with -parallelism and each model's Limits, skips what
// depends on a failure, halts or stops on an interrupt, and records every
// outcome to the state store. The runner (runner.go and the
// files it uses: converse.go, toolround.go, answer.go, conditions.go,
// record.go, redact.go) runs one instance to its end: the call through the
// ChatClient, each model of a client-mode fallback chain in turn, tool
// rounds with their calls checked, new answers while one fails the schema,
// the postconditions and the record to save, with every error scrubbed of
// sensitive values. Its dependencies are explicit (the client, the Hook,
// the configuration directory, the contexts of the run and of the calls),
// and it reports what it found as an outcome, which only the scheduler
// turns into counts, diagnostics, events and records.
//
// It never parses HCL files and never prints: it reports progress through a
// Hook, and problems as hcl.Diagnostics.
package executor
