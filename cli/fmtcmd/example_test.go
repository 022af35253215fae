package fmtcmd_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/promptform/promptform/cli/fmtcmd"
)

func ExampleFormat() {
	fmt.Print(string(fmtcmd.Format([]byte("model \"fast\" {\nid=\"claude-haiku-4-5\"\nmax_tokens = 500\n}"))))
	// Output:
	// model "fast" {
	//   id         = "claude-haiku-4-5"
	//   max_tokens = 500
	// }
}

func ExampleRun() {
	wd, err := os.MkdirTemp("", "fmt")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(wd) }()
	src := "step \"summarize\" {\nmodel=model.fast\nprompt = \"Summarise\"\n}\n"
	if err := os.WriteFile(filepath.Join(wd, "main.pf.hcl"), []byte(src), 0o644); err != nil {
		panic(err)
	}

	code := fmtcmd.Run([]string{"-check", "-diff"}, wd, os.Stdout, os.Stderr)
	fmt.Println("exit", code)
	// Output:
	// main.pf.hcl
	// --- a/main.pf.hcl
	// +++ b/main.pf.hcl
	// @@ -1,4 +1,4 @@
	//  step "summarize" {
	// -model=model.fast
	// -prompt = "Summarise"
	// +  model  = model.fast
	// +  prompt = "Summarise"
	//  }
	// exit 1
}
