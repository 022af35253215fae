package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewLoggerLevels(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		value   string
		want    slog.Level // the lowest level logged
		wantNil bool
		wantErr string
	}{
		"unset":      {value: "", wantNil: true},
		"blank":      {value: "  ", wantNil: true},
		"debug":      {value: "debug", want: slog.LevelDebug},
		"trace":      {value: "trace", want: slog.LevelDebug},
		"upper case": {value: "INFO", want: slog.LevelInfo},
		"warn":       {value: "Warn", want: slog.LevelWarn},
		"unknown": {value: "verbose",
			wantErr: `PROMPTFORM_LOG="verbose" is not a log level: set it to debug, info or warn (or trace, the same as debug), or unset it`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{EnvLog: tc.value}
			l, _, err := newLogger(func(k string) string { return env[k] }, io.Discard)
			switch {
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("wrong error\ngot:  %v\nwant: %s", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case tc.wantNil:
				if l != nil {
					t.Errorf("a logger for %q; want none", tc.value)
				}
			case !l.Enabled(context.Background(), tc.want) || l.Enabled(context.Background(), tc.want-1):
				t.Errorf("wrong level for %q\nwant: %s and above", tc.value, tc.want)
			}
		})
	}
}

func TestNewLoggerFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pf.log")
	if err := os.WriteFile(path, []byte("earlier line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvLog: "info", EnvLogPath: path}
	l, _, err := newLogger(func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", "n", 1)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.HasPrefix(got, "earlier line\ntime=") || !strings.Contains(got, ` level=INFO msg=hello n=1`) {
		t.Errorf("wrong log file\ngot:  %q\nwant: the earlier line, then a timestamped line", got)
	}

	fresh := filepath.Join(t.TempDir(), "new.log")
	env[EnvLogPath] = fresh
	if _, _, err := newLogger(func(k string) string { return env[k] }, io.Discard); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("wrong new log file\ngot:  %v, %v\nwant: mode 0600", fi, err)
	}

	env[EnvLogPath] = filepath.Join(t.TempDir(), "missing", "x.log")
	if _, _, err := newLogger(func(k string) string { return env[k] }, io.Discard); err == nil ||
		!strings.HasPrefix(err.Error(), "PROMPTFORM_LOG_PATH: cannot open the log file: ") {
		t.Errorf("wrong error\ngot:  %v\nwant: PROMPTFORM_LOG_PATH: cannot open the log file: …", err)
	}
}
