package state

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The tests re-execute their own binary to get a process they can kill:
// helperEnv names what the child does, helperArgEnv its argument.
const (
	helperEnv    = "PROMPTFORM_STATE_TEST_HELPER"
	helperArgEnv = "PROMPTFORM_STATE_TEST_ARG"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "record":
		helperRecord(os.Getenv(helperArgEnv))
	case "lock":
		helperLock(os.Getenv(helperArgEnv))
	case "exit":
		os.Exit(0)
	}
	os.Exit(3)
}

// helperRecord records steps into the store at path until it is killed.
func helperRecord(path string) {
	s, _, err := open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// One sync per line, as without group commit: the killer catches it
	// mid-write at a pace the test can follow, before the records (8 KB
	// each, kept in memory too) fill the machine.
	s.syncEvery = 0
	for i := 0; i < 1_000_000; i++ {
		if err := s.Record(testStep(i, 8192)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// helperLock takes the lock on dir, says so, and holds it until killed.
func helperLock(dir string) {
	if _, err := Lock(context.Background(), dir, LockInfo{Operation: "apply"}, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // a safety net: the test kills it long before
	os.Exit(0)
}

// helperCmd returns a command that runs this test binary as a helper.
func helperCmd(t *testing.T, mode, arg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperArgEnv+"="+arg)
	cmd.Stderr = &strings.Builder{}
	return cmd
}

// testStep returns a recorded step with an output of size bytes.
func testStep(i, size int) *Step {
	addr := fmt.Sprintf("step.s[%d]", i)
	return &Step{
		Address: addr, Name: "s", Key: []byte(fmt.Sprint(i)),
		RequestHash: fmt.Sprintf("sha256:%064x", i),
		Request:     []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`),
		Output:      strings.Repeat("x", size), ToolCalls: []ToolCall{}, Model: "m",
		FinishReason: "stop", Usage: Usage{InputTokens: 3, OutputTokens: 5, TotalTokens: 8},
	}
}

// sleepPoll waits a little between two looks at something another process does.
func sleepPoll() { time.Sleep(5 * time.Millisecond) }
