package fmtcmd

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	unformatted = "model \"fast\" {\nid=\"x\"\nmax_tokens   = 5\n}\n"
	formatted   = "model \"fast\" {\n  id         = \"x\"\n  max_tokens = 5\n}\n"
	badSyntax   = "step \"a\" {\n  prompt = \"unterminated\n}\n"
	jsonConfig  = "{\"model\":{\"fast\":{\"id\":   \"x\"}}}"
)

// past is the modification time given to every fixture file, so that a test
// can tell whether a file was rewritten even when its content is unchanged.
var past = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRun(t *testing.T) {
	tests := map[string]struct {
		files      map[string]string // path relative to wd -> content
		args       []string
		wantCode   int
		wantStdout string
		wantStderr []string          // substrings
		wantFiles  map[string]string // contents after the run; others must be untouched
	}{
		"unformatted file rewritten and listed": {
			files:      map[string]string{"main.pf.hcl": unformatted},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": formatted},
		},
		"formatted file untouched and not listed": {
			files: map[string]string{"main.pf.hcl": formatted},
		},
		"pfvars formatted": {
			files:      map[string]string{"promptform.pfvars": "topic=\"x\"\n", "dev.auto.pfvars": "a   = 1\n"},
			wantStdout: "dev.auto.pfvars\npromptform.pfvars\n",
			wantFiles:  map[string]string{"promptform.pfvars": "topic = \"x\"\n", "dev.auto.pfvars": "a = 1\n"},
		},
		"test files formatted": {
			files:      map[string]string{"x.pftest.hcl": "run \"a\" {\ncommand=plan\n}\n"},
			wantStdout: "x.pftest.hcl\n",
			wantFiles:  map[string]string{"x.pftest.hcl": "run \"a\" {\n  command = plan\n}\n"},
		},
		"other files in a directory ignored": {
			files: map[string]string{"notes.hcl": unformatted, "x.tf": unformatted, ".hidden.pf.hcl": unformatted, "main.pf.hcl~": unformatted},
		},
		"check lists and exits 1 without writing": {
			files:      map[string]string{"a.pf.hcl": unformatted, "b.pf.hcl": formatted},
			args:       []string{"-check"},
			wantCode:   1,
			wantStdout: "a.pf.hcl\n",
		},
		"check=true": {
			files:      map[string]string{"a.pf.hcl": unformatted},
			args:       []string{"-check=true"},
			wantCode:   1,
			wantStdout: "a.pf.hcl\n",
		},
		"check=false writes": {
			files:      map[string]string{"a.pf.hcl": unformatted},
			args:       []string{"-check=false"},
			wantStdout: "a.pf.hcl\n",
			wantFiles:  map[string]string{"a.pf.hcl": formatted},
		},
		"check on formatted files exits 0": {
			files: map[string]string{"a.pf.hcl": formatted},
			args:  []string{"-check"},
		},
		"check diff prints the diff without writing": {
			files:    map[string]string{"main.pf.hcl": unformatted},
			args:     []string{"-check", "-diff"},
			wantCode: 1,
			wantStdout: "main.pf.hcl\n" +
				"--- a/main.pf.hcl\n" +
				"+++ b/main.pf.hcl\n" +
				"@@ -1,4 +1,4 @@\n" +
				" model \"fast\" {\n" +
				"-id=\"x\"\n" +
				"-max_tokens   = 5\n" +
				"+  id         = \"x\"\n" +
				"+  max_tokens = 5\n" +
				" }\n",
		},
		"diff writes and prints the diff": {
			files:    map[string]string{"v.pfvars": "a=1"},
			args:     []string{"-diff"},
			wantCode: 0,
			wantStdout: "v.pfvars\n" +
				"--- a/v.pfvars\n" +
				"+++ b/v.pfvars\n" +
				"@@ -1 +1 @@\n" +
				"-a=1\n" +
				"\\ No newline at end of file\n" +
				"+a = 1\n",
			wantFiles: map[string]string{"v.pfvars": "a = 1\n"},
		},
		"recursive reaches subdirectories but not hidden ones": {
			files: map[string]string{
				"main.pf.hcl":                 unformatted,
				"sub/a.pf.hcl":                unformatted,
				"sub/deeper/b.pfvars":         "x=1\n",
				"sub/readme.txt":              unformatted,
				".git/c.pf.hcl":               unformatted,
				".promptform/d.pf.hcl":        unformatted,
				"sub/.hidden/e.pf.hcl":        unformatted,
				"sub/deeper/f.pf.json":        jsonConfig,
				"sub/deeper/formatted.pfvars": "x = 1\n",
			},
			args:       []string{"-recursive"},
			wantStdout: "main.pf.hcl\nsub/a.pf.hcl\nsub/deeper/b.pfvars\n",
			wantFiles: map[string]string{
				"main.pf.hcl":         formatted,
				"sub/a.pf.hcl":        formatted,
				"sub/deeper/b.pfvars": "x = 1\n",
			},
		},
		"subdirectories untouched without recursive": {
			files:      map[string]string{"main.pf.hcl": unformatted, "sub/a.pf.hcl": unformatted},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": formatted},
		},
		"directory path": {
			files:      map[string]string{"main.pf.hcl": unformatted, "sub/a.pf.hcl": unformatted},
			args:       []string{"sub"},
			wantStdout: "sub/a.pf.hcl\n",
			wantFiles:  map[string]string{"sub/a.pf.hcl": formatted},
		},
		"file path formatted whatever its name": {
			files:      map[string]string{"prompts/extra.hcl": unformatted},
			args:       []string{"prompts/extra.hcl"},
			wantStdout: "prompts/extra.hcl\n",
			wantFiles:  map[string]string{"prompts/extra.hcl": formatted},
		},
		"file named twice listed once": {
			files:      map[string]string{"main.pf.hcl": unformatted},
			args:       []string{"main.pf.hcl", ".", "./main.pf.hcl"},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": formatted},
		},
		"syntax error reported and not rewritten": {
			files:      map[string]string{"bad.pf.hcl": badSyntax, "good.pf.hcl": unformatted},
			wantCode:   1,
			wantStdout: "good.pf.hcl\n",
			wantStderr: []string{"Error: ", "on bad.pf.hcl line 2", "prompt = \"unterminated"},
			wantFiles:  map[string]string{"good.pf.hcl": formatted},
		},
		"syntax error in a subdirectory names its path": {
			files:      map[string]string{"sub/bad.pfvars": "a = [\n"},
			args:       []string{"-recursive", "-check"},
			wantCode:   1,
			wantStderr: []string{"on sub/bad.pfvars line "},
		},
		"missing path": {
			files:      map[string]string{"main.pf.hcl": unformatted},
			args:       []string{"nope.pf.hcl", "main.pf.hcl"},
			wantCode:   1,
			wantStdout: "main.pf.hcl\n",
			wantStderr: []string{"Error: No such file or directory", "nope.pf.hcl"},
			wantFiles:  map[string]string{"main.pf.hcl": formatted},
		},
		"pf.json untouched": {
			files: map[string]string{"main.pf.json": jsonConfig},
		},
		"pf.json named explicitly is an error": {
			files:      map[string]string{"main.pf.json": jsonConfig},
			args:       []string{"main.pf.json"},
			wantCode:   1,
			wantStderr: []string{"Cannot format JSON syntax", "main.pf.json"},
		},
		"missing trailing newline added": {
			files:      map[string]string{"main.pf.hcl": "a = 1"},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": "a = 1\n"},
		},
		"extra trailing newlines removed": {
			files:      map[string]string{"main.pf.hcl": "a = 1\n\n\n"},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": "a = 1\n"},
		},
		"crlf line endings normalised": {
			files:      map[string]string{"main.pf.hcl": "a = 1\r\nbb = 2\r\n"},
			wantStdout: "main.pf.hcl\n",
			wantFiles:  map[string]string{"main.pf.hcl": "a  = 1\nbb = 2\n"},
		},
		"unknown flag": {
			files:      map[string]string{"main.pf.hcl": unformatted},
			args:       []string{"-bogus"},
			wantCode:   1,
			wantStderr: []string{"-bogus", "Usage: promptform"},
		},
	}

	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			wd := t.TempDir()
			writeTree(t, wd, test.files)
			var stdout, stderr bytes.Buffer

			code := Run(test.args, wd, &stdout, &stderr)

			if code != test.wantCode {
				t.Errorf("wrong exit code\ngot:  %d\nwant: %d\nstderr:\n%s", code, test.wantCode, stderr.String())
			}
			if got := stdout.String(); got != test.wantStdout {
				t.Errorf("wrong stdout\ngot:\n%s\nwant:\n%s", got, test.wantStdout)
			}
			for _, want := range test.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q\ngot:\n%s", want, stderr.String())
				}
			}
			if len(test.wantStderr) == 0 && stderr.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", stderr.String())
			}
			checkTree(t, wd, test.files, test.wantFiles)
		})
	}
}

// writeTree creates files under dir and dates them all to past.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, past, past); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTree compares the files under dir with want, and the files not in want
// with their original content and modification time; it also checks that no
// temporary file was left behind.
func checkTree(t *testing.T, dir string, orig, want map[string]string) {
	t.Helper()
	for name, content := range orig {
		path := filepath.Join(dir, filepath.FromSlash(name))
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		wantContent, rewritten := want[name]
		if !rewritten {
			wantContent = content
			if info, err := os.Stat(path); err == nil && !info.ModTime().Equal(past) {
				t.Errorf("%s was rewritten", name)
			}
		}
		if string(got) != wantContent {
			t.Errorf("wrong content of %s\ngot:\n%q\nwant:\n%q", name, got, wantContent)
		}
	}
	var count int
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			count++
		}
		return nil
	})
	if count != len(orig) {
		t.Errorf("wrong number of files after the run\ngot:  %d\nwant: %d", count, len(orig))
	}
}
