package planner

import "github.com/promptform/promptform/addrs"

// Addr is the address of a step instance: step.NAME, step.NAME["key"]
// (for_each) or step.NAME[0] (count). It is addrs.StepInstance; the name
// stays for the packages that use it.
type Addr = addrs.StepInstance

// The kinds of graph node, as package addrs declares them.
const (
	KindStep   = addrs.KindStep
	KindLocal  = addrs.KindLocal
	KindOutput = addrs.KindOutput
	KindCheck  = addrs.KindCheck
	KindVar    = addrs.KindVar
)
