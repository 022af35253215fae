package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// build builds promptform from the repository root (the working directory
// bench/run sets) into dir and returns the binary's path.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "promptform")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w (run bench from the repository root, or with bench/run)", err)
	}
	return bin, nil
}

// revision returns the commit at HEAD, with "+modified" when tracked
// files differ from it: others may be editing the tree while the suite
// runs. It only reads: --no-optional-locks keeps git from refreshing the
// index. go build's own stamp is no help, as GOFLAGS may hold
// -buildvcs=false.
func revision() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown revision (not a git checkout)"
	}
	rev := strings.TrimSpace(string(out))
	diff := exec.Command("git", "--no-optional-locks", "diff", "--quiet", "HEAD", "--")
	if err := diff.Run(); err != nil {
		rev += "+modified"
	}
	return rev
}
