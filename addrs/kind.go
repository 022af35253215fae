package addrs

// Kind is the kind of a node of the dependency graph.
type Kind int

// The kinds of graph node. InvalidKind is the zero Kind, of no node.
const (
	InvalidKind Kind = iota
	KindStep
	KindLocal
	KindOutput
	KindCheck
	// KindVar is a variable of a module instance: the value its module
	// block gives it, evaluated in the calling module.
	KindVar
)

// Keywords of addresses: the first name of each kind's address, and the
// keyword of a module call.
const (
	keywordStep   = "step"
	keywordLocal  = "local"
	keywordOutput = "output"
	keywordCheck  = "check"
	keywordVar    = "var"
	keywordModule = "module"
)

// String returns the keyword that starts an address of the kind: "step",
// "local", "output", "check" or "var"; "invalid" for InvalidKind.
func (k Kind) String() string {
	switch k {
	case KindStep:
		return keywordStep
	case KindLocal:
		return keywordLocal
	case KindOutput:
		return keywordOutput
	case KindCheck:
		return keywordCheck
	case KindVar:
		return keywordVar
	}
	return "invalid"
}

// ParseKind returns the kind whose keyword is s, or InvalidKind.
func ParseKind(s string) Kind {
	for _, k := range []Kind{KindStep, KindLocal, KindOutput, KindCheck, KindVar} {
		if k.String() == s {
			return k
		}
	}
	return InvalidKind
}
