package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

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
// that says which variable to fix.
func newLogger(getenv func(string) string) (*slog.Logger, error) {
	name := strings.TrimSpace(getenv(EnvLog))
	if name == "" {
		return nil, nil
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
		return nil, fmt.Errorf("%s=%q is not a log level: set it to debug, info or warn (or trace, the same as debug), or unset it", EnvLog, name)
	}
	var w io.Writer = os.Stderr
	if path := getenv(EnvLogPath); path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot open the log file: %w", EnvLogPath, err)
		}
		w = f
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}

// logs caches the debug log per value of the two variables, so that one
// process opens its log file once, whoever asks.
var logs struct {
	sync.Mutex
	byEnv map[[2]string]*slog.Logger
}

// debugLog returns the debug log of the environment (see newLogger), built
// the first time it is asked for and shared afterwards. It is safe for
// concurrent use.
func debugLog() (*slog.Logger, error) {
	key := [2]string{os.Getenv(EnvLog), os.Getenv(EnvLogPath)}
	logs.Lock()
	defer logs.Unlock()
	if l, ok := logs.byEnv[key]; ok {
		return l, nil
	}
	l, err := newLogger(os.Getenv)
	if err != nil {
		return nil, err
	}
	if logs.byEnv == nil {
		logs.byEnv = map[[2]string]*slog.Logger{}
	}
	logs.byEnv[key] = l
	return l, nil
}

// logDiag is the diagnostic of a debug log that cannot be set up.
func logDiag(err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid debug log setting",
		Detail:   err.Error() + ".",
	}
}
