package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// loadFrame is one configuration on the stack of configurations being
// loaded, from the root down: how it was called and where it lives.
type loadFrame struct {
	call string // the module call's name; "" for the root module
	dir  string // as diagnostics show it
	abs  string // cleaned, absolute and without symbolic links, to find cycles
}

// String returns the frame as a cycle report shows it.
func (f loadFrame) String() string {
	if f.call == "" {
		return fmt.Sprintf("the root module (%s)", f.dir)
	}
	return fmt.Sprintf("module %q (%s)", f.call, f.dir)
}

// loadChildren loads the child configuration of every module call of cfg,
// in name order, and their children in turn. stack holds cfg and its
// ancestors. Every call gets an entry in cfg.Children, an empty
// configuration when its source cannot be loaded.
func (p *Parser) loadChildren(cfg *Config, stack []loadFrame) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(cfg.Modules)) {
		call := cfg.Modules[name]
		child := newConfig(filepath.Join(cfg.Dir, call.Source))
		child.Parent = cfg
		cfg.Children[name] = child
		frame, moreDiags := p.loadChild(child, call, stack)
		diags = append(diags, moreDiags...)
		child.Gateways = cfg.Gateways // the root's, shared by every module
		if frame == nil {
			delete(cfg.Children, name) // nothing to plan: the diagnostics say why
			continue
		}
		diags = append(diags, child.checkRefs()...)
		diags = append(diags, p.loadChildren(child, append(slices.Clip(stack), *frame))...)
	}
	return diags
}

// loadChild reads the files of the child that call loads. It returns the
// child's frame, or nil when the child was not read: its source is
// invalid, missing or one of its ancestors.
func (p *Parser) loadChild(child *Config, call *ModuleCall, stack []loadFrame) (*loadFrame, hcl.Diagnostics) {
	if call.Source == "" {
		return nil, nil // decodeModuleBlock has reported it
	}
	if !strings.HasPrefix(call.Source, "./") && !strings.HasPrefix(call.Source, "../") {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsupported module source",
			Detail: fmt.Sprintf("Module %q has source %q. Only local directories are supported: a path that starts with ./ or ../, relative to the directory of the calling configuration.",
				call.Name, call.Source),
			Subject: call.SourceRange.Ptr(),
		}}
	}
	if info, err := os.Stat(child.Dir); err != nil || !info.IsDir() {
		what := "is not a directory"
		switch {
		case errors.Is(err, fs.ErrNotExist):
			what = "does not exist"
		case err != nil:
			what = fmt.Sprintf("cannot be read: %s", err)
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Module source not found",
			Detail:   fmt.Sprintf("Module %q has source %q, but %s %s.", call.Name, call.Source, child.Dir, what),
			Subject:  call.SourceRange.Ptr(),
		}}
	}
	frame := loadFrame{call: call.Name, dir: child.Dir, abs: absDir(child.Dir)}
	if i := slices.IndexFunc(stack, func(f loadFrame) bool { return f.abs == frame.abs }); i >= 0 {
		return nil, hcl.Diagnostics{moduleCycle(call, stack[i:])}
	}
	return &frame, p.loadFiles(child, call)
}

// moduleCycle reports a call whose directory is that of cycle[0], the
// first of the ancestors it would load again.
func moduleCycle(call *ModuleCall, cycle []loadFrame) *hcl.Diagnostic {
	chain := make([]string, 0, len(cycle)+1)
	for _, f := range cycle {
		chain = append(chain, f.String())
	}
	chain = append(chain, cycle[0].dir+" again")
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Module sources itself",
		Detail: fmt.Sprintf("Module %q loads a configuration that is already being loaded: %s. A module cannot call itself, directly or through the modules it calls.",
			call.Name, strings.Join(chain, " → ")),
		Subject: call.SourceRange.Ptr(),
	}
}

// absDir returns dir cleaned, absolute and without symbolic links, as far
// as they can be resolved, so that two spellings of one directory compare
// equal.
func absDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Clean(dir)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}
