package fmtcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := map[string]struct {
		src  string
		want string
	}{
		"empty":              {src: "", want: ""},
		"only blank lines":   {src: "\n\n  \n", want: ""},
		"already canonical":  {src: formatted, want: formatted},
		"alignment":          {src: unformatted, want: formatted},
		"no final newline":   {src: "a = 1", want: "a = 1\n"},
		"many final newline": {src: "a = 1\n\n\n", want: "a = 1\n"},
		"crlf": {
			src:  "a = 1\r\nbb = 2\r\n",
			want: "a  = 1\nbb = 2\n",
		},
		"crlf heredoc": {
			src:  "prompt = <<EOT\r\nhello\r\nEOT\r\n",
			want: "prompt = <<EOT\nhello\nEOT\n",
		},
		"nested block and comment": {
			src: "step \"a\" {\n# why\nmodel=model.fast\n  postcondition {\n  condition = true\n    error_message = \"no\"\n  }\n}",
			want: "step \"a\" {\n  # why\n  model = model.fast\n  postcondition {\n" +
				"    condition     = true\n    error_message = \"no\"\n  }\n}\n",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Format([]byte(test.src))
			if string(got) != test.want {
				t.Errorf("wrong result\ngot:  %q\nwant: %q", got, test.want)
			}
			if again := Format(got); !bytes.Equal(again, got) {
				t.Errorf("not idempotent\ngot:  %q\nwant: %q", again, got)
			}
		})
	}
}

func TestRunPreservesMode(t *testing.T) {
	t.Parallel()
	wd := t.TempDir()
	path := filepath.Join(wd, "main.pf.hcl")
	if err := os.WriteFile(path, []byte(unformatted), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if code := Run(nil, wd, new(bytes.Buffer), new(bytes.Buffer)); code != 0 {
		t.Fatalf("wrong exit code\ngot:  %d\nwant: 0", code)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o640); got != want {
		t.Errorf("wrong mode\ngot:  %v\nwant: %v", got, want)
	}
}

func TestRunFollowsSymlink(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	wd := t.TempDir()
	writeTree(t, wd, map[string]string{"shared/common.hcl": unformatted})
	link := filepath.Join(wd, "common.pf.hcl")
	if err := os.Symlink(filepath.Join("shared", "common.hcl"), link); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if code := Run(nil, wd, &stdout, new(bytes.Buffer)); code != 0 {
		t.Fatalf("wrong exit code\ngot:  %d\nwant: 0", code)
	}
	if got, want := stdout.String(), "common.pf.hcl\n"; got != want {
		t.Errorf("wrong stdout\ngot:  %q\nwant: %q", got, want)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("symbolic link replaced (err %v)", err)
	}
	got, err := os.ReadFile(filepath.Join(wd, "shared", "common.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != formatted {
		t.Errorf("wrong target content\ngot:  %q\nwant: %q", got, formatted)
	}
}

func TestRunAbsolutePath(t *testing.T) {
	t.Parallel()
	wd, other := t.TempDir(), t.TempDir()
	writeTree(t, other, map[string]string{"main.pf.hcl": unformatted})
	path := filepath.Join(other, "main.pf.hcl")
	var stdout bytes.Buffer
	if code := Run([]string{"-check", path}, wd, &stdout, new(bytes.Buffer)); code != 1 {
		t.Fatalf("wrong exit code\ngot:  %d\nwant: 1", code)
	}
	if got, want := stdout.String(), path+"\n"; got != want {
		t.Errorf("wrong stdout\ngot:  %q\nwant: %q", got, want)
	}
}

func TestRunHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"-help"}, t.TempDir(), &stdout, &stderr); code != 0 {
		t.Fatalf("wrong exit code\ngot:  %d\nwant: 0", code)
	}
	if !bytes.HasPrefix(stdout.Bytes(), []byte("Usage: promptform")) || stderr.Len() > 0 {
		t.Errorf("wrong output\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
}
