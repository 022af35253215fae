package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// File name suffixes of configuration files.
const (
	SuffixNative = ".pf.hcl"
	SuffixJSON   = ".pf.json"
)

// Parser reads configuration and variable files. It keeps every file it has
// parsed, which the diagnostic writer needs to print source snippets; use
// one Parser for a whole command. A Parser is not safe for concurrent use.
type Parser struct {
	p *hclparse.Parser
}

// NewParser returns an empty Parser.
func NewParser() *Parser {
	return &Parser{p: hclparse.NewParser()}
}

// Files returns every file parsed so far, keyed by the name used in
// diagnostics.
func (p *Parser) Files() map[string]*hcl.File {
	return p.p.Files()
}

// ParseFile parses one file, choosing the syntax by its name: JSON for names
// ending in ".json", native syntax otherwise.
func (p *Parser) ParseFile(path string) (*hcl.File, hcl.Diagnostics) {
	if strings.HasSuffix(path, ".json") {
		return p.p.ParseJSONFile(path)
	}
	return p.p.ParseHCLFile(path)
}

// ConfigFiles lists the configuration files of dir in name order: every
// *.pf.hcl and *.pf.json file, not recursive.
func ConfigFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, SuffixNative) || strings.HasSuffix(n, SuffixJSON)) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(dir, n)
	}
	return paths, nil
}

// LoadDir reads and decodes the configuration in dir, then the
// configuration of every module it calls, recursively (see Config.Children).
// File names in diagnostics are relative to the process's working directory
// as given in dir. The returned Config is never nil and is safe for static
// analysis even when the diagnostics contain errors.
func (p *Parser) LoadDir(dir string) (*Config, hcl.Diagnostics) {
	cfg := newConfig(dir)
	diags := p.loadFiles(cfg, nil)
	if _, ok := cfg.Gateways[""]; !ok {
		cfg.Gateways[""] = defaultGateway("")
	}
	diags = append(diags, cfg.checkRefs()...)
	diags = append(diags, p.loadChildren(cfg, []loadFrame{{dir: dir, abs: absDir(dir)}})...)
	return cfg, diags
}

// loadFiles reads and decodes the files of cfg.Dir into cfg. call is the
// module call that loads a child configuration, whose source range locates
// the errors about the directory itself; nil for the root.
func (p *Parser) loadFiles(cfg *Config, call *ModuleCall) hcl.Diagnostics {
	var subject *hcl.Range
	hint := "Run promptform in the directory of a pipeline, or name it with -chdir=DIR."
	if call != nil {
		subject = call.SourceRange.Ptr()
		hint = fmt.Sprintf("Check the source of module %q.", call.Name)
	}
	paths, err := ConfigFiles(cfg.Dir)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read configuration directory",
			Detail:   fmt.Sprintf("Reading %s failed: %s.", cfg.Dir, err),
			Subject:  subject,
		}}
	}
	if len(paths) == 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s holds no *%s or *%s files. %s", cfg.Dir, SuffixNative, SuffixJSON, hint),
			Subject:  subject,
		}}
	}
	var diags hcl.Diagnostics
	for _, path := range paths {
		f, fileDiags := p.ParseFile(path)
		diags = append(diags, fileDiags...)
		if f == nil {
			continue
		}
		diags = append(diags, cfg.addFile(f)...)
	}
	return diags
}
