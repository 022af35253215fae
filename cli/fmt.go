package cli

import "github.com/promptform/promptform/cli/fmtcmd"

func runFmt(m *Meta, args []string) int {
	return fmtcmd.RunColor(args, m.Dir, m.Stdout, m.Stderr, m.Color)
}
