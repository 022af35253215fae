package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestRunTwiceInOneProcess runs apply twice at once in one process, one
// with colour and one without, each with its own environment: colour and
// the environment belong to the run, not to the process.
func TestRunTwiceInOneProcess(t *testing.T) {
	t.Parallel()
	src := `
variable "who" {}
model "m" { id = "claude-haiku-4-5-20251001" }
step "s" {
  model  = model.m
  prompt = "hello ${var.who}"
}
output "who" { value = var.who }
`
	run := func(color bool, who string) (stdout, stderr string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.pf.hcl"), []byte(src), 0o644); err != nil {
			t.Error(err)
			return "", ""
		}
		env := map[string]string{"PF_VAR_who": who}
		var out, errb bytes.Buffer
		ctx := context.Background()
		code := Run(ctx, ctx, []string{"-chdir=" + dir, "apply", "-auto-approve", "-offline"}, Streams{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Color: color,
			Getenv:  func(k string) string { return env[k] },
			Environ: func() []string { return []string{"PF_VAR_who=" + who} },
		})
		if code != 0 {
			t.Errorf("colour %v: exit %d\n%s%s", color, code, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
	var wg sync.WaitGroup
	var colored, plain [2]string
	wg.Go(func() { colored[0], colored[1] = run(true, "colour") })
	wg.Go(func() { plain[0], plain[1] = run(false, "plain") })
	wg.Wait()

	if !strings.Contains(colored[1], "\x1b[") {
		t.Errorf("the run with colour printed none:\n%s", colored[1])
	}
	if strings.Contains(plain[0]+plain[1], "\x1b[") {
		t.Errorf("the run without colour printed some:\n%s%s", plain[0], plain[1])
	}
	escapes := regexp.MustCompile("\x1b\\[[0-9;]*m")
	durations := regexp.MustCompile(`after [0-9.]+[µnm]?s|Wall time: [0-9.]+[µnm]?s`)
	stripped := durations.ReplaceAllString(escapes.ReplaceAllString(colored[1], ""), "after D")
	if want := durations.ReplaceAllString(strings.ReplaceAll(plain[1], "plain", "colour"), "after D"); stripped != want {
		t.Errorf("with colour stripped, the output differs from the plain one:\n%s\nwant:\n%s", stripped, want)
	}
	if !strings.Contains(colored[0], `who = "colour"`) || !strings.Contains(plain[0], `who = "plain"`) {
		t.Errorf("each run did not read its own environment:\n%s\n%s", colored[0], plain[0])
	}
}
