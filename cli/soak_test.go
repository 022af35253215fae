package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/promptform/promptform/state"
)

// soakConfig is one step of %[3]d instances on a gateway at %[1]q that
// retries %[2]d times and gives each attempt a second.
const soakConfig = `
gateway {
  url         = %[1]q
  timeout     = "1s"
  max_retries = %[2]d
}
model "m" { id = "claude-haiku-4-5-20251001" }
step "s" {
  count  = %[3]d
  model  = model.m
  prompt = "item ${count.index}"
}
`

const (
	soakRetries = 3
	soakApplies = 6 // applies before the test gives up recording every instance
)

// soakFaultConfig are the faults of the soak: 20% 503, 5% 429 asking for
// 20ms, 5% dropped connections and 2% stalls past the attempt timeout. A
// stall that lasts MaxStall means that the client did not give up at its
// timeout.
var soakFaultConfig = gatewaytest.FaultConfig{Seed: 1, Fail503: 0.20, Throttle429: 0.05, Drop: 0.05, Stall: 0.02,
	RetryAfter: 20 * time.Millisecond, MaxStall: 30 * time.Second}

// soakHang is how long an apply may run before the test reports it hung,
// with its goroutines; it still waits for the apply to end.
const soakHang = 3 * time.Minute

// soakSize is the number of instances: 2000 with PROMPTFORM_SOAK=long, else 300.
func soakSize() int {
	if os.Getenv("PROMPTFORM_SOAK") == "long" {
		return 2000
	}
	return 300
}

// soakTimeout is the attempt timeout of soakConfig.
const soakTimeout = time.Second

// TestSoak applies many instances against a gateway that fails a third of
// the requests, again until every instance is recorded. After each apply
// it checks that no request was asked more than max_retries + 1 times,
// that the state, a fresh read of it and its journal agree, and that the
// apply recorded exactly the answers its client took; at the end, that
// every instance holds the answer the gateway gave it. It never checks
// that anything was fast.
//
// An answer is delivered when the fake wrote all of it, with its
// Content-Length, and flushed it without error. The client took it when it
// was the last arrival of its request in the apply: a client that asks
// again after a delivered answer gave up on it, which only its attempt
// timeout does (on a loaded machine it can fire while the answer is on its
// way); then the record's duration must cover a timeout for each answer
// given up and each stall. A delivered last answer whose instance failed
// was given up on too when the apply's error for it is a timeout.
func TestSoak(t *testing.T) {
	t.Parallel()
	srv := gatewaytest.NewServer()
	defer srv.Close()
	var seq atomic.Int64 // makes every answer unique
	srv.Handle(func(req *gateway.Request) gatewaytest.Reply {
		return gatewaytest.Reply{Text: fmt.Sprintf("answer %d to %s", seq.Add(1), req.LastUserText())}
	})
	faults := gatewaytest.NewFaults(srv, soakFaultConfig)
	defer faults.Close()
	s := &soak{t: t, n: soakSize(), answers: map[string]string{}, steps: map[string]*state.Step{}}
	s.dir = budgetDir(t, fmt.Sprintf(soakConfig, faults.URL(), soakRetries, s.n))

	for run := 1; run <= soakApplies; run++ {
		before, _ := os.ReadFile(state.Path(s.dir))
		tap := soakTapJournal(state.Path(s.dir) + state.JournalSuffix)
		start := time.Now()
		watchdog := time.AfterFunc(soakHang, func() { soakHung(t, run) })
		code, _, stderr := runEnv(t, s.dir, nil, "apply", "-auto-approve", "-parallelism=32")
		watchdog.Stop()
		elapsed := time.Since(start).Round(time.Millisecond)
		journal, tapped := tap.close()
		asked := faults.Take()
		if code != 0 && !strings.Contains(stderr, "Model request failed") {
			t.Errorf("apply %d: exit %d without a failed request:\n%s", run, code, stderr)
		}
		abandoned := s.abandoned
		s.checkApply(run, asked, stderr, before, journal, tapped)
		t.Logf("apply %d: exit %d after %s; %s; %d given up by the client", run, code, elapsed, soakTally(asked), s.abandoned-abandoned)
		if code == 0 || t.Failed() {
			break
		}
	}
	s.checkEnd()
}

// soak is what the soak knows across applies.
type soak struct {
	t       *testing.T
	dir     string
	n       int
	steps   map[string]*state.Step // the state after the last apply
	answers map[string]string      // by address: the answer its client took
	// Answers delivered, given up on by the client, and recorded, by
	// every apply.
	delivered, abandoned, recorded int
}

// soakAsk is what one apply asked of one instance.
type soakAsk struct {
	gatewaytest.Asked
	taken     *gatewaytest.Arrival // the last arrival, when it was delivered: the answer the client can have taken
	abandoned int                  // delivered answers the client asked again after
	stalls    int
}

// checkApply checks one apply: what it asked (b), its state and journal
// (c), and its answers against its records (d).
func (s *soak) checkApply(run int, asked []gatewaytest.Asked, stderr string, before, journal []byte, tapped bool) {
	t := s.t
	asks := s.checkAsked(run, asked)
	st, err := state.Load(state.Path(s.dir))
	if err != nil {
		t.Fatalf("apply %d: %v", run, err)
	}
	if _, err := os.Stat(state.Path(s.dir) + state.JournalSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("apply %d left a journal behind (stat: %v): its end did not fold it into the state", run, err)
	}
	fresh, _, err := state.Read(s.dir)
	if err != nil {
		t.Fatalf("apply %d: state.Read: %v", run, err)
	}
	if diff := soakDiff(fresh.Steps, st.Steps); diff != "" {
		t.Errorf("apply %d: state.Read and state.Load disagree: %s", run, diff)
	}
	made := s.checkRecords(run, st.Steps, asks, stderr)
	if tapped {
		s.checkJournal(run, before, journal, st.Steps, made)
	} else if len(made) > 0 {
		t.Logf("apply %d: its journal came and went unseen; journal checks skipped", run)
	}
	s.steps = st.Steps
}

// checkAsked checks what one apply asked (b) and sorts it by address.
func (s *soak) checkAsked(run int, asked []gatewaytest.Asked) map[string]*soakAsk {
	t := s.t
	asks := map[string]*soakAsk{}
	for _, a := range asked {
		addr, ok := soakAddress(a.Prompt)
		switch {
		case !ok:
			t.Errorf("apply %d asked %q, which no instance asks", run, a.Prompt)
			continue
		case len(a.Arrivals) > soakRetries+1:
			t.Errorf("apply %d asked %s %d times (%s), more than max_retries + 1 = %d", run, addr, len(a.Arrivals), soakFaults(a), soakRetries+1)
		case s.steps[addr] != nil:
			t.Errorf("apply %d asked %s again (%s), though an earlier apply recorded it", run, addr, soakFaults(a))
		}
		k := &soakAsk{Asked: a}
		for i, x := range a.Arrivals {
			switch {
			case x.Fault == gatewaytest.FaultStall && x.Took >= soakFaultConfig.MaxStall:
				t.Errorf("apply %d: a stalled request of %s was held %s: its client did not give up at its %s attempt timeout (a hang)",
					run, addr, x.Took.Round(time.Millisecond), soakTimeout)
				k.stalls++
			case x.Fault == gatewaytest.FaultStall:
				k.stalls++
			case x.Delivered && i == len(a.Arrivals)-1:
				k.taken = &a.Arrivals[i]
			case x.Delivered:
				k.abandoned++
			}
			if x.Delivered {
				s.delivered++
			}
		}
		s.abandoned += k.abandoned
		asks[addr] = k
	}
	return asks
}

// checkRecords checks the records one apply made (new or changed) against
// the answers its client took (d), and returns them.
func (s *soak) checkRecords(run int, steps map[string]*state.Step, asks map[string]*soakAsk, stderr string) map[string]*state.Step {
	t := s.t
	made := map[string]*state.Step{}
	for addr, rec := range steps {
		if old := s.steps[addr]; old == nil || !soakSame(old, rec) {
			made[addr] = rec
		}
	}
	s.recorded += len(made)
	for addr, rec := range made {
		k := asks[addr]
		if k == nil {
			k = &soakAsk{} // not asked at all
		}
		waited := soakTimeout * time.Duration(k.stalls+k.abandoned)
		switch {
		case s.steps[addr] != nil:
			t.Errorf("apply %d recorded %s again: %q replaced %q", run, addr, rec.Output, s.steps[addr].Output)
		case k.taken == nil:
			t.Errorf("apply %d recorded %s = %q, but its client took no answer for it (%s)", run, addr, rec.Output, soakFaults(k.Asked))
		case rec.Output != k.taken.Text:
			t.Errorf("apply %d recorded %s = %q, but its client took %q", run, addr, rec.Output, k.taken.Text)
		case rec.Attempts < len(k.Arrivals):
			t.Errorf("apply %d recorded %d attempts for %s, but the gateway saw %d (%s)", run, rec.Attempts, addr, len(k.Arrivals), soakFaults(k.Asked))
		case time.Duration(rec.DurationMS)*time.Millisecond < waited:
			t.Errorf("apply %d recorded %s after %dms, too soon to have waited out a %s timeout for each stall and answer given up (%s): "+
				"its client asked again after an answer it had", run, addr, rec.DurationMS, soakTimeout, soakFaults(k.Asked))
		}
		if k.taken != nil {
			s.answers[addr] = k.taken.Text
		}
	}
	for addr, k := range asks {
		switch {
		case k.taken == nil || made[addr] != nil:
		case soakTimedOut(stderr, addr):
			s.abandoned++ // its last attempt timed out as the answer came
		default:
			t.Errorf("apply %d delivered %q for %s, the last answer it asked for, but did not record it: an answer lost (%s)",
				run, k.taken.Text, addr, soakFaults(k.Asked))
		}
	}
	return made
}

// checkJournal checks that the journal one apply wrote holds each record
// it made once, and replays over the state before it to the state after.
func (s *soak) checkJournal(run int, before, journal []byte, after, made map[string]*state.Step) {
	t := s.t
	steps, err := soakJournalSteps(journal)
	if err != nil {
		t.Errorf("apply %d: journal: %v", run, err)
		return
	}
	for addr, n := range steps {
		if n > 1 {
			t.Errorf("apply %d journalled %s %d times: an instance recorded more than once", run, addr, n)
		}
		if made[addr] == nil {
			t.Errorf("apply %d journalled %s, which the state after it does not hold as new", run, addr)
		}
	}
	for addr := range made {
		if steps[addr] == 0 {
			t.Errorf("apply %d recorded %s in the state without a journal entry", run, addr)
		}
	}
	replayed, err := soakReplay(t.TempDir(), before, journal)
	if err != nil {
		t.Errorf("apply %d: the journal does not replay over the state before it: %v", run, err)
		return
	}
	if diff := soakDiff(replayed.Steps, after); diff != "" {
		t.Errorf("apply %d: its journal replays to another state than it committed: %s", run, diff)
		return
	}
	t.Logf("apply %d: its journal of %d records replays to the state it committed", run, len(steps))
}

// checkEnd checks the final state (a) and the totals (d).
func (s *soak) checkEnd() {
	t := s.t
	if len(s.steps) != s.n {
		t.Errorf("%d instances recorded after the last apply, want %d", len(s.steps), s.n)
	}
	missing := 0
	for i := range s.n {
		addr := fmt.Sprintf("step.s[%d]", i)
		switch rec := s.steps[addr]; {
		case rec == nil:
			if missing++; missing <= 5 {
				t.Errorf("%s is not recorded", addr)
			}
		case rec.Output != s.answers[addr]:
			t.Errorf("%s holds %q, but the gateway answered it %q", addr, rec.Output, s.answers[addr])
		}
	}
	if s.delivered != s.abandoned+s.recorded || s.recorded != s.n {
		t.Errorf("across the applies, %d answers delivered, %d given up by the client, %d recorded; want %d recorded and the rest given up",
			s.delivered, s.abandoned, s.recorded, s.n)
	}
}

// soakTimedOut reports whether stderr says that the request of addr failed
// with an attempt timeout.
func soakTimedOut(stderr, addr string) bool {
	_, rest, ok := strings.Cut(stderr, addr+": gateway: ")
	if !ok {
		return false
	}
	if i := strings.Index(rest, "step.s["); i >= 0 {
		rest = rest[:i]
	}
	return strings.Contains(rest, "timed out")
}

// soakAddress is the address of the instance that asks prompt.
func soakAddress(prompt string) (string, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(prompt, "item "))
	if err != nil || !strings.HasPrefix(prompt, "item ") || n < 0 {
		return "", false
	}
	return fmt.Sprintf("step.s[%d]", n), true
}

// soakSame reports whether two records hold the same answer to the same
// request.
func soakSame(a, b *state.Step) bool {
	return a.Output == b.Output && a.RequestHash == b.RequestHash && state.SameJSON(a.Response, b.Response)
}

// soakDiff describes how two sets of records differ, or returns "".
func soakDiff(got, want map[string]*state.Step) string {
	var diffs []string
	for addr, w := range want {
		switch g := got[addr]; {
		case g == nil:
			diffs = append(diffs, addr+" missing")
		case !soakSame(g, w):
			diffs = append(diffs, fmt.Sprintf("%s is %q, want %q", addr, g.Output, w.Output))
		}
	}
	for addr := range got {
		if want[addr] == nil {
			diffs = append(diffs, addr+" extra")
		}
	}
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "; ")
}

// soakJournalSteps counts the step entries of a journal by address.
func soakJournalSteps(journal []byte) (map[string]int, error) {
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(journal))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var e struct {
			Op   string
			Step *state.Step
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, err
		}
		if e.Op == "step" && e.Step != nil {
			out[e.Step.Address]++
		}
	}
	return out, sc.Err()
}

// soakReplay reads, as a fresh command would, the state that is
// stateJSON (none when empty) with journal beside it, in a new directory.
func soakReplay(dir string, stateJSON, journal []byte) (*state.State, error) {
	path := state.Path(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if len(stateJSON) > 0 {
		if err := os.WriteFile(path, stateJSON, 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(path+state.JournalSuffix, journal, 0o644); err != nil {
		return nil, err
	}
	st, _, err := state.Read(dir)
	return st, err
}

// soakFaults lists how each arrival of a request was treated.
func soakFaults(a gatewaytest.Asked) string {
	var parts []string
	for _, x := range a.Arrivals {
		p := x.Fault.String()
		if x.Delivered {
			p += " (delivered)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// soakTally sums up what one apply asked.
func soakTally(asked []gatewaytest.Asked) string {
	counts := map[gatewaytest.Fault]int{}
	arrivals, delivered := 0, 0
	for _, a := range asked {
		arrivals += len(a.Arrivals)
		delivered += len(a.Delivered())
		for _, x := range a.Arrivals {
			counts[x.Fault]++
		}
	}
	return fmt.Sprintf("%d requests for %d instances (503: %d, 429: %d, drop: %d, stall: %d), %d answers delivered",
		arrivals, len(asked), counts[gatewaytest.Fault503], counts[gatewaytest.Fault429],
		counts[gatewaytest.FaultDrop], counts[gatewaytest.FaultStall], delivered)
}

// soakTap keeps open each journal file that appears at a path while an
// apply runs, so that what the apply wrote can be read after its commit
// removed the file. It does nothing on Windows, where an open file cannot
// be removed.
type soakTap struct {
	path  string
	stop  chan struct{}
	done  chan struct{}
	files []*os.File
}

func soakTapJournal(path string) *soakTap {
	j := &soakTap{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	if runtime.GOOS == "windows" {
		close(j.done)
		return j
	}
	go j.watch()
	return j
}

func (j *soakTap) watch() {
	defer close(j.done)
	for {
		select {
		case <-j.stop:
			return
		default:
		}
		j.grab()
		time.Sleep(500 * time.Microsecond)
	}
}

// grab opens the journal if it is a file not held yet.
func (j *soakTap) grab() {
	fi, err := os.Stat(j.path)
	if err != nil {
		return
	}
	for _, f := range j.files {
		if held, err := f.Stat(); err == nil && os.SameFile(held, fi) {
			return
		}
	}
	if f, err := os.Open(j.path); err == nil {
		j.files = append(j.files, f)
	}
}

// close stops the tap and returns what the journals held, in the order
// they appeared; ok is false when none was seen.
func (j *soakTap) close() (journal []byte, ok bool) {
	close(j.stop)
	<-j.done
	for _, f := range j.files {
		b, _ := io.ReadAll(f) // from the start: f was never read
		journal = append(journal, b...)
		f.Close()
	}
	return journal, len(j.files) > 0
}

// soakHung reports an apply that has run for soakHang, with the goroutines
// of the test process.
func soakHung(t *testing.T, run int) {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	t.Errorf("apply %d is still running after %s: a hang? The goroutines:\n%s", run, soakHang, buf.String())
}
