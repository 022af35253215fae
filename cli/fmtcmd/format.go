package fmtcmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// command is the state of one run: its options, the files parsed so far (for
// diagnostic snippets) and what has been found.
type command struct {
	options
	wd      string
	color   bool // colour the diagnostics on a terminal
	stdout  io.Writer
	files   map[string]*hcl.File
	seen    map[string]bool
	diags   hcl.Diagnostics
	changed int
}

// Format returns src in canonical HCL native syntax layout: hclwrite.Format's
// spacing and alignment, "\n" line endings, and exactly one newline at the end
// (none for a file that is empty or only blank).
func Format(src []byte) []byte {
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	out := bytes.TrimRight(hclwrite.Format(src), " \t\n")
	if len(out) == 0 {
		return []byte{}
	}
	return append(out, '\n')
}

// processFile formats the file at the absolute path abs unless it has syntax
// errors, then lists, writes and diffs it as the options say.
func (c *command) processFile(abs string) {
	if c.seen[abs] {
		return
	}
	c.seen[abs] = true
	name := c.display(abs)

	src, err := os.ReadFile(abs)
	if err != nil {
		c.diags = append(c.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read file",
			Detail:   fmt.Sprintf("Cannot read %s: %s.", name, err),
		})
		return
	}
	file, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
	c.files[name] = file
	c.diags = append(c.diags, diags...)
	if diags.HasErrors() {
		return
	}

	out := Format(src)
	if bytes.Equal(src, out) {
		return
	}
	c.changed++
	if !c.check {
		if err := writeFile(abs, out); err != nil {
			c.diags = append(c.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot write file",
				Detail:   fmt.Sprintf("Cannot write the formatted %s: %s.", name, err),
			})
			return
		}
	}
	fmt.Fprintln(c.stdout, name)
	if c.diff {
		fmt.Fprint(c.stdout, unifiedDiff(name, src, out))
	}
}

// display returns the name under which a file is shown: relative to the
// working directory when it lies inside it, else absolute.
func (c *command) display(abs string) string {
	if rel, err := filepath.Rel(c.wd, abs); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return abs
}
