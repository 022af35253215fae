package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/promptform/promptform/state/pgstate"
)

// EnvironmentFile names the file, in the state directory, that holds the
// selected workspace (as Terraform's .terraform/environment does).
const EnvironmentFile = "environment"

// Environment variables of the state backends.
const (
	EnvPGConnStr = "PG_CONN_STR"
	EnvWorkspace = "PROMPTFORM_WORKSPACE"
)

// pgConnectTimeout bounds the connection to a pg backend.
const pgConnectTimeout = 15 * time.Second

// backendFlags collects -backend-config=KEY=VALUE, which every command
// takes: it sets or overrides a setting of the configuration's backend
// block (the connection string, say, kept out of the files).
type backendFlags map[string]string

func (b backendFlags) String() string { return "" }

func (b backendFlags) Set(s string) error {
	key, val, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(key) == "" {
		return fmt.Errorf("expected KEY=VALUE, got %q", s)
	}
	b[strings.TrimSpace(key)] = val
	return nil
}

// backend returns the state backend of the configuration: the backend
// block of its promptform block, with PG_CONN_STR and -backend-config
// over it, or the local files. It is made once per command, and closed
// when the command ends.
func (m *Meta) backend() (state.Backend, hcl.Diagnostics) {
	if m.be != nil || m.beDiags.HasErrors() {
		return m.be, m.beDiags
	}
	m.be, m.beDiags = m.openBackend()
	return m.be, m.beDiags
}

func (m *Meta) openBackend() (state.Backend, hcl.Diagnostics) {
	cfg, _ := m.loadConfig() // its errors are the command's to report
	var block *config.Backend
	if cfg != nil && cfg.Settings != nil {
		block = cfg.Settings.Backend
	}
	if block == nil {
		if len(m.backendConfig) > 0 {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No backend to configure",
				Detail: fmt.Sprintf("-backend-config sets %s, but the configuration has no backend block: its state is in local files. "+
					"Declare one in the promptform block, such as promptform { backend \"pg\" {} }.", strings.Join(slices.Sorted(maps.Keys(m.backendConfig)), ", "))}}
		}
		return state.NewLocal(m.Dir), nil
	}
	settings := maps.Clone(block.Settings)
	if v := m.Getenv(EnvPGConnStr); v != "" && block.Type == "pg" {
		settings["conn_str"] = v
	}
	for _, key := range slices.Sorted(maps.Keys(m.backendConfig)) {
		if !slices.Contains(config.BackendSettings[block.Type], key) {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unsupported backend setting",
				Detail: fmt.Sprintf("-backend-config=%s=…: the %s backend takes %s.", key, block.Type, strings.Join(config.BackendSettings[block.Type], " and "))}}
		}
		settings[key] = m.backendConfig[key]
	}
	if settings["conn_str"] == "" {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No connection string for the pg backend",
			Detail:  fmt.Sprintf("The pg backend needs conn_str: set it in the backend block, in the environment variable %s, or with -backend-config=conn_str=….", EnvPGConnStr),
			Subject: block.DeclRange.Ptr()}}
	}
	ctx, cancel := context.WithTimeout(m.ctx, pgConnectTimeout)
	defer cancel()
	be, err := openPG(ctx, settings)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot open the pg backend", Detail: err.Error() + ".", Subject: block.DeclRange.Ptr()}}
	}
	return be, nil
}

// openPG opens the pg backend with its settings.
func openPG(ctx context.Context, settings map[string]string) (state.Backend, error) {
	return pgstate.Open(ctx, pgstate.Config{ConnStr: settings["conn_str"], SchemaName: settings["schema_name"]})
}

// closeBackend closes the backend, when one was opened.
func (m *Meta) closeBackend() {
	if m.be != nil {
		m.be.Close()
	}
}

// workspace returns the current workspace: PROMPTFORM_WORKSPACE, else the
// one workspace select chose, else the default one.
func (m *Meta) workspace() (string, hcl.Diagnostics) {
	ws := m.Getenv(EnvWorkspace)
	source := "the environment variable " + EnvWorkspace
	if ws == "" {
		b, err := os.ReadFile(m.environmentPath())
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			return state.DefaultWorkspace, nil // none selected (or no state directory at all)
		case err != nil:
			return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read the selected workspace", Detail: err.Error() + "."}}
		}
		ws, source = strings.TrimSpace(string(b)), m.environmentPath()
	}
	if err := state.CheckWorkspaceName(ws); err != nil {
		return "", hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid workspace", Detail: fmt.Sprintf("%s, in %s.", err, source)}}
	}
	return ws, nil
}

// environmentPath is the file that holds the selected workspace.
func (m *Meta) environmentPath() string { return filepath.Join(m.Dir, state.Dir, EnvironmentFile) }

// stateBackend returns the backend and the current workspace, the
// diagnostics saying why when either cannot be had.
func (m *Meta) stateBackend() (state.Backend, string, hcl.Diagnostics) {
	ws, diags := m.workspace()
	if diags.HasErrors() {
		return nil, "", diags
	}
	be, diags := m.backend()
	if diags.HasErrors() {
		return nil, "", diags
	}
	return be, ws, nil
}
