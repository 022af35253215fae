// Command promptform is Terraform for prompt pipelines: it plans and applies
// HCL-declared chat completion pipelines against the LLM Gateway API.
package main

import (
	"os"

	"github.com/promptform/promptform/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
