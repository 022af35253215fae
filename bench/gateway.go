package main

import (
	"runtime"

	"github.com/promptform/promptform/gateway/gatewaytest"
)

// chatPath is the path of the fake's chat endpoint, below its URL's /v1.
const chatPath = "/v1/chat/completions"

// fake is a zero-latency fake gateway for one case. The gatewaytest server
// keeps every request it receives in memory, so each case gets a fresh one
// and closes it, and memory does not pile up across cases in this process.
type fake struct {
	*gatewaytest.Server
}

// newFake starts a fake gateway.
func newFake() *fake {
	return &fake{gatewaytest.NewServer()}
}

// chats returns the chat requests received so far, in arrival order.
func (f *fake) chats() []gatewaytest.Recorded {
	var out []gatewaytest.Recorded
	for _, r := range f.Requests() {
		if r.Path == chatPath {
			out = append(out, r)
		}
	}
	return out
}

// calls returns how many chat requests the fake received.
func (f *fake) calls() int {
	return len(f.chats())
}

// close stops the server and lets its records be collected before the next
// case starts, so that this process's garbage does not compete with the
// measured one for the CPU.
func (f *fake) close() {
	f.Close()
	f.Server = nil
	runtime.GC()
}
