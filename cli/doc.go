// Package cli implements the promptform commands: flags, and the two views
// of every command, human (coloured with fatih/color) and -json. Results go
// to stdout; progress, warnings and diagnostics to stderr. It is the only
// package that prints.
package cli
