package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Environment variables of the debug log.
const (
	EnvLog     = "PROMPTFORM_LOG"      // debug, info or warn (trace is debug)
	EnvLogPath = "PROMPTFORM_LOG_PATH" // append the log to this file, not stderr
)

// newLogger builds the debug log that getenv's PROMPTFORM_LOG asks for: nil
// when it is unset or empty, else a text log with timestamps at that level,
// appended to the file PROMPTFORM_LOG_PATH names (created 0600) or written
// to stderr. An unknown level, or a file that cannot be opened, is an error
// that says which variable to fix. The closer closes the log file (nil
// without one).
func newLogger(getenv func(string) string, stderr io.Writer) (*slog.Logger, io.Closer, error) {
	name := strings.TrimSpace(getenv(EnvLog))
	if name == "" {
		return nil, nil, nil
	}
	var level slog.Level
	switch strings.ToLower(name) {
	case "trace", "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	default:
		return nil, nil, fmt.Errorf("%s=%q is not a log level: set it to debug, info or warn (or trace, the same as debug), or unset it", EnvLog, name)
	}
	w := stderr
	var closer io.Closer
	if path := getenv(EnvLogPath); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: cannot open the log file: %w", EnvLogPath, err)
		}
		w, closer = f, f
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closer, nil
}

// debugLog returns the debug log of the command's environment (see
// newLogger), built the first time it is asked for and shared afterwards,
// so that one command opens its log file once, whoever asks. It is safe for
// concurrent use.
func (m *Meta) debugLog() (*slog.Logger, error) {
	m.log.once.Do(func() {
		m.log.logger, m.log.file, m.log.err = newLogger(m.Getenv, m.Stderr)
	})
	return m.log.logger, m.log.err
}

// closeLog closes the debug log's file, if the command opened one.
func (m *Meta) closeLog() {
	if m.log.file != nil {
		m.log.file.Close()
	}
}

// logDiag is the diagnostic of a debug log that cannot be set up.
func logDiag(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid debug log setting",
		Detail:   err.Error() + ".",
	}
}
