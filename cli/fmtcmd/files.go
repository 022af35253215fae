package fmtcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// processPath formats the file or directory p, relative to the working
// directory unless absolute.
func (c *command) processPath(p string) {
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(c.wd, p)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.diags = append(c.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No such file or directory",
			Detail:   fmt.Sprintf("There is no file or directory at %s.", p),
		})
	case err != nil:
		c.diags = append(c.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read path",
			Detail:   fmt.Sprintf("Cannot read %s: %s.", p, err),
		})
	case info.IsDir():
		c.processDir(abs)
	case strings.HasSuffix(abs, jsonSuffix):
		c.diags = append(c.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot format JSON syntax",
			Detail: fmt.Sprintf("%s is in HCL's JSON syntax. Only native syntax "+
				"files such as *.pf.hcl and *.pfvars can be formatted.", c.display(abs)),
		})
	default:
		c.processFile(abs)
	}
}

// processDir formats the configuration and variable files in dir, and with
// -recursive those in its subdirectories, hidden ones excepted.
func (c *command) processDir(dir string) {
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			c.diags = append(c.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read directory",
				Detail:   fmt.Sprintf("Cannot read %s: %s.", c.display(path), err),
			})
			return nil
		}
		if d.IsDir() {
			if path != dir && (!c.recursive || isHidden(d.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if isFormattable(d.Name()) && !isDirLink(path, d) {
			c.processFile(path)
		}
		return nil
	}
	_ = filepath.WalkDir(dir, walk) // walk never returns an error
}

const (
	configSuffix = ".pf.hcl"
	testSuffix   = ".pftest.hcl"
	varsSuffix   = ".pfvars"
	jsonSuffix   = ".pf.json"
)

// isFormattable reports whether a file found in a directory is formatted:
// native syntax configuration, tests or variables, and not an editor's hidden,
// backup or lock file.
func isFormattable(name string) bool {
	if isHidden(name) || strings.HasSuffix(name, "~") ||
		(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")) {
		return false
	}
	return strings.HasSuffix(name, configSuffix) || strings.HasSuffix(name, testSuffix) || strings.HasSuffix(name, varsSuffix)
}

func isHidden(name string) bool {
	return strings.HasPrefix(name, ".")
}

// isDirLink reports whether d is a symbolic link to a directory.
func isDirLink(path string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}
