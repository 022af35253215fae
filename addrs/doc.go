// Package addrs holds the typed addresses of promptform: the kinds of graph
// node (Kind), module paths (Module), steps and their instances (Step,
// StepInstance), the other graph nodes (Node: local values, outputs and
// checks), and the one parser of the step addresses that commands take
// (ParseTarget: -target, -exclude, -replace and the state subcommands).
//
// Every address prints in HCL spelling with String: step.summarize,
// step.sections["intro"], step.drafts[0], local.topic, output.tweet,
// check.length, and, once modules exist, module.a["k"].step.b[0]. Those
// strings are the keys of the state file and of the dependency graph, so
// their spelling is fixed: a state written by one version must be read by
// the next.
//
// Modules do not exist yet: every address of a configuration is in the root
// module (an empty Module), and ParseTarget reads module paths only so that
// callers can refuse them with a clear message.
//
// The package knows nothing of configurations, plans or state; it depends
// only on hcl and cty. Its values are immutable and safe for concurrent use.
package addrs
