// Package planner turns a decoded configuration into a plan: it finds the
// references of every step, local and output, builds the dependency graph
// (reporting cycles by name), expands for_each and count, renders each step
// instance's chat completion request — with unknown values where an upstream
// step has not run yet — and compares it with the recorded state to decide
// what will run and why.
//
// The planner never calls the network. Its evaluation pieces (Scope, Expand,
// Render, StepValue) are also what package executor uses at apply time, so
// that a request is rendered the same way in both.
package planner
