// Package executor applies a plan: it walks the step graph with bounded
// parallelism, renders each step instance's final request from the outputs
// of the steps it depends on, re-uses the recorded response when the request
// is unchanged, otherwise sends it through a ChatClient, and records every
// finished instance in the state as soon as it finishes.
//
// It never parses HCL files and never prints: it reports progress through a
// Hook, and problems as hcl.Diagnostics.
package executor
