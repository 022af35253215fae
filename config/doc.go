// Package config holds the source-level model of a promptform configuration:
// it finds and parses the *.pf.hcl and *.pf.json files of a directory and
// of the local modules it calls, decodes their structure, collects variable
// values, and provides the functions that expressions may call.
//
// It never evaluates a dynamic expression (prompts, messages, locals,
// outputs) and never talks to the network: those expressions stay
// hcl.Expression values, with their source ranges, for package planner to
// analyse and evaluate. Every decoding function collects diagnostics rather
// than stopping at the first one, and a returned *Config is safe for static
// analysis even when the diagnostics contain errors.
package config
