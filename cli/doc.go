// Package cli implements the promptform commands: flags, and the two views
// of every command, human (coloured with fatih/color) and -json. A view is
// a value built once per command from a viewBase (its streams, its colour,
// and the parsed files, terminal width and -compact-warnings that
// diagnostics need); commands hand it what to render and never print
// themselves. Results go to stdout; progress, warnings and diagnostics to
// stderr. It is the only package that prints. A command's streams, environment and colour setting
// come from the Streams that Run is given, not from the process, so Run may
// be called more than once in one process; the working directory is still
// the process's.
package cli
