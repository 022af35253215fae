package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/promptform/promptform/state"
)

// workspaceCommands are the subcommands of promptform workspace.
var workspaceCommands = map[string]command{
	"list":   {"List the workspaces, the current one marked with *", runWorkspaceList},
	"show":   {"Print the current workspace's name", runWorkspaceShow},
	"new":    {"Create a workspace and select it", runWorkspaceNew},
	"select": {"Select a workspace", runWorkspaceSelect},
	"delete": {"Delete a workspace and its state", runWorkspaceDelete},
}

func runWorkspace(m *Meta, args []string) int {
	return runSubcommand(m, args, "workspace", workspaceCommands, printWorkspaceUsage)
}

// runSubcommand runs the subcommand args[0] of a command with
// subcommands (state, workspace), or prints its usage: on stdout for
// -help, else on stderr with exit 1.
func runSubcommand(m *Meta, args []string, what string, subs map[string]command, usage func(io.Writer)) int {
	if len(args) == 0 || args[0] == "-help" || args[0] == "-h" || args[0] == "--help" {
		w := m.Stderr
		if len(args) > 0 {
			w = m.Stdout
		}
		usage(w)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(m.Stderr, "Error: unknown %s subcommand %q.\n\n", what, subcommandName(args[0]))
		usage(m.Stderr)
		return 1
	}
	return sub.run(m, args[1:])
}

func printWorkspaceUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: promptform [global options] workspace SUBCOMMAND [NAME]\n\nSubcommands:\n")
	for _, name := range []string{"list", "show", "new", "select", "delete"} {
		fmt.Fprintf(w, "  %-7s %s\n", name, workspaceCommands[name].synopsis)
	}
	fmt.Fprintf(w, "\nThe environment variable %s overrides the selected workspace.\n", EnvWorkspace)
}

func runWorkspaceList(m *Meta, args []string) int {
	fs := m.newFlags("workspace list", "workspace list")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	view := m.view()
	names, ws, ok := m.listWorkspaces(view)
	if !ok {
		return 1
	}
	for _, name := range names {
		mark := " "
		if name == ws {
			mark = "*"
		}
		fmt.Fprintf(m.Stdout, "%s %s\n", mark, name)
	}
	return 0
}

func runWorkspaceShow(m *Meta, args []string) int {
	fs := m.newFlags("workspace show", "workspace show")
	if !m.parseFlags(fs, args, 0) {
		return 1
	}
	ws, diags := m.workspace()
	if diags.HasErrors() {
		m.view().diags(diags)
		return 1
	}
	fmt.Fprintln(m.Stdout, ws)
	return 0
}

// workspaceArg parses a subcommand that takes one workspace name.
func (m *Meta) workspaceArg(sub string, args []string) (string, bool) {
	fs := m.newFlags("workspace "+sub, "workspace "+sub+" NAME")
	if !m.parseFlags(fs, args, 1) {
		return "", false
	}
	if fs.NArg() != 1 {
		m.view().fail("Workspace name required", fmt.Sprintf("promptform workspace %s NAME.", sub))
		return "", false
	}
	if err := state.CheckWorkspaceName(fs.Arg(0)); err != nil {
		m.view().fail("Invalid workspace name", err.Error()+".")
		return "", false
	}
	return fs.Arg(0), true
}

func runWorkspaceNew(m *Meta, args []string) int {
	name, ok := m.workspaceArg("new", args)
	if !ok {
		return 1
	}
	view := m.view()
	be, _, diags := m.stateBackend()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	if err := be.NewWorkspace(m.ctx, name); err != nil {
		return view.fail("Cannot create workspace", err.Error()+".")
	}
	if err := m.selectWorkspace(name); err != nil {
		return view.fail("Cannot select workspace", err.Error()+".")
	}
	fmt.Fprintf(m.Stdout, "%s\n", view.paint.green(fmt.Sprintf("Created and switched to workspace %q.", name)))
	m.warnWorkspaceEnv(view)
	return 0
}

func runWorkspaceSelect(m *Meta, args []string) int {
	name, ok := m.workspaceArg("select", args)
	if !ok {
		return 1
	}
	view := m.view()
	names, _, ok := m.listWorkspaces(view)
	if !ok {
		return 1
	}
	if !slices.Contains(names, name) {
		return view.fail("Workspace does not exist", fmt.Sprintf("There is no workspace %q; promptform workspace list shows them, and promptform workspace new %s creates it.", name, name))
	}
	if err := m.selectWorkspace(name); err != nil {
		return view.fail("Cannot select workspace", err.Error()+".")
	}
	fmt.Fprintf(m.Stdout, "Switched to workspace %q.\n", name)
	m.warnWorkspaceEnv(view)
	return 0
}

func runWorkspaceDelete(m *Meta, args []string) int {
	fs := m.newFlags("workspace delete", "workspace delete [-force] NAME")
	force := fs.Bool("force", false, "delete a workspace whose state records steps")
	if !m.parseFlags(fs, args, 1) {
		return 1
	}
	view := m.view()
	if fs.NArg() != 1 {
		return view.fail("Workspace name required", "promptform workspace delete NAME.")
	}
	name := fs.Arg(0)
	if err := state.CheckWorkspaceName(name); err != nil {
		return view.fail("Invalid workspace name", err.Error()+".")
	}
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		view.diags(diags)
		return 1
	}
	switch {
	case name == state.DefaultWorkspace:
		return view.fail("Cannot delete workspace", "The default workspace cannot be deleted.")
	case name == ws:
		return view.fail("Cannot delete workspace", fmt.Sprintf("%q is the current workspace; select another one first (promptform workspace select default).", name))
	}
	st, _, err := be.Read(m.ctx, name)
	if err != nil {
		return view.fail("Cannot read workspace", err.Error()+".")
	}
	if len(st.Steps) > 0 && !*force {
		return view.fail("Workspace not empty", fmt.Sprintf("Workspace %q records %d step instance(s); deleting it loses them. Run again with -force to delete it anyway.", name, len(st.Steps)))
	}
	if err := be.DeleteWorkspace(m.ctx, name); err != nil {
		return view.fail("Cannot delete workspace", err.Error()+".")
	}
	fmt.Fprintf(m.Stdout, "Deleted workspace %q.\n", name)
	return 0
}

// listWorkspaces returns the backend's workspaces and the current one,
// or prints why they cannot be had.
func (m *Meta) listWorkspaces(view *viewBase) (names []string, current string, ok bool) {
	be, ws, diags := m.stateBackend()
	if diags.HasErrors() {
		view.diags(diags)
		return nil, "", false
	}
	names, err := be.Workspaces(m.ctx)
	if err != nil {
		view.fail("Cannot list workspaces", err.Error()+".")
		return nil, "", false
	}
	return names, ws, true
}

// selectWorkspace records the selected workspace in the state directory.
func (m *Meta) selectWorkspace(name string) error {
	if err := state.EnsureDir(filepath.Join(m.Dir, state.Dir)); err != nil {
		return err
	}
	if name == state.DefaultWorkspace {
		if err := os.Remove(m.environmentPath()); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(m.environmentPath(), []byte(name+"\n"), 0o644)
}

// warnWorkspaceEnv warns that PROMPTFORM_WORKSPACE overrides a selection.
func (m *Meta) warnWorkspaceEnv(view *viewBase) {
	if env := m.Getenv(EnvWorkspace); env != "" {
		fmt.Fprintf(m.Stderr, "Warning: %s=%s is set, and it overrides the selected workspace while it is.\n", EnvWorkspace, env)
	}
}

// subcommandName is how an unknown subcommand is quoted back: an option
// given before the subcommand is named without its value, which may be a
// secret (-backend-config=conn_str=…).
func subcommandName(arg string) string {
	if name, _, ok := strings.Cut(arg, "="); ok && strings.HasPrefix(arg, "-") {
		return name + "=…"
	}
	return arg
}
