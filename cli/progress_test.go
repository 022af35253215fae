package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"
)

// fakeClock stands still at now; its tickers tick when a test sends on
// ticks.
type fakeClock struct {
	now   time.Time
	ticks chan time.Time
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Ticker(time.Duration) (<-chan time.Time, func()) { return c.ticks, func() {} }

// halfDone is a tally of 20 calls: 2 answered (one failing an assert),
// one failed, one running.
func halfDone() *tally {
	t := newTally(testPlan(20, 5))
	h := countingHook{&humanHook{w: &bytes.Buffer{}}, t}
	h.StepFinished("step.a[0]", answer("m", passed), false, time.Second)
	h.StepFinished("step.a[1]", answer("m", failed), false, time.Second)
	h.StepFinished("step.a[20]", answer("m", failed), true, 0) // kept: not progress
	h.StepFailed("step.a[2]", nil, fmt.Errorf("boom"))
	h.StepStarted("step.a[3]", "m")
	return t
}

// TestProgressLines checks that off a terminal a progress line is printed
// at most every ten seconds, on the ticks of the clock.
func TestProgressLines(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &fakeClock{now: start, ticks: make(chan time.Time)}
	var buf bytes.Buffer
	p := startProgress(&humanHook{w: &buf}, halfDone(), false, c, start, 80)
	for _, s := range []int{5, 10, 15, 19, 20, 29, 30} {
		c.ticks <- start.Add(time.Duration(s) * time.Second) // returns once the last tick is handled
	}
	p.stop()
	want := `Progress: 3/20 done, 1 running, 1 failed, 1 assert failure, 10s elapsed, ETA 57s, 30 tokens
Progress: 3/20 done, 1 running, 1 failed, 1 assert failure, 20s elapsed, ETA 1m53s, 30 tokens
Progress: 3/20 done, 1 running, 1 failed, 1 assert failure, 30s elapsed, ETA 2m50s, 30 tokens
`
	if got := buf.String(); got != want {
		t.Errorf("wrong progress lines\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func TestCompactNum(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 9876: "9,876", 12345: "12.3k", 1_234_567: "1.2M"} {
		if got := compactNum(n); got != want {
			t.Errorf("compactNum(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestProgressBar draws the bar into a buffer: it shows done/total and the
// counts, the hook's lines (streamed text too, whole lines only) print
// above it, and once stopped the hook writes straight to its writer again.
func TestProgressBar(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &fakeClock{now: start.Add(20 * time.Second), ticks: make(chan time.Time)}
	var buf bytes.Buffer
	hh := &humanHook{w: &buf, live: true}
	tl := halfDone()
	b := startBar(hh, tl, c, start, 40, mpb.WithWidth(160))
	h := countingHook{hh, tl}
	h.StepDelta("step.a[3]", "Hello wor")
	h.StepDelta("step.a[3]", "ld, and a long tail of streamed words to wrap")
	c.ticks <- start // draws the bar
	h.StepFinished("step.a[3]", answer("m", passed), false, time.Second)
	b.stop()
	hh.line("after the bar")

	out := regexp.MustCompile("\x1b\\[[0-9]*A\x1b\\[J").ReplaceAllString(buf.String(), "")
	bars := regexp.MustCompile(`(?m)^[34]/20 done \[[-=>]+\] [01] running, 1 failed, 1 assert failure, 20s elapsed, ETA [0-9ms]+, [0-9]+ tokens\n`)
	lines := "step.a[3]: Hello world, and a long tail\nof streamed words to wrap\n" +
		"step.a[3]: done after 1s (m, 10 tokens in, 5 out)\nafter the bar\n"
	if got := bars.ReplaceAllString(out, ""); got != lines {
		t.Errorf("wrong lines above the bar\ngot:\n%s\nwant:\n%s", got, lines)
	}
	last := "] 0 running, 1 failed, 1 assert failure, 20s elapsed, ETA 1m20s, 45 tokens\nafter the bar\n"
	if !strings.Contains(out, "\n4/20 done [") || !strings.HasSuffix(out, last) {
		t.Errorf("the bar does not end at 4/20 above what follows it:\n%s", out)
	}
}

func TestLineWriter(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := &lineWriter{w: &buf, width: 10}
	fmt.Fprint(l, "ab")
	fmt.Fprint(l, "c\ndef ghij klmno")
	fmt.Fprint(l, "ééééééééééé")
	fmt.Fprint(l, "\n")
	want := "abc\ndef ghij\nklmnoéé\nééééé\néééé\n"
	if got := buf.String(); got != want || len(l.pending) != 0 {
		t.Errorf("wrong lines\ngot:  %q (pending %q)\nwant: %q", got, l.pending, want)
	}
}

// TestInterruptNoticesAboveProgress checks that while an apply shows its
// progress, the notice of an interrupt goes through the display (which
// prints it above the bar) rather than straight to the process's stderr,
// and that it goes back to stderr once the display ends. It changes the
// process's notice sink, so it does not run in parallel.
func TestInterruptNoticesAboveProgress(t *testing.T) {
	var stderr bytes.Buffer
	v := newApplyView(false, &viewBase{stderr: &stderr, width: 80}).(applyHuman)
	v.run.clock = &fakeClock{now: time.Now(), ticks: make(chan time.Time)}
	v.run.planned(testPlan(12, 0))
	v.hook()
	interruptNotices.print("Interrupt received: stopping.")
	if !strings.Contains(stderr.String(), "Interrupt received: stopping.\n") {
		t.Errorf("the notice did not go through the progress display: %q", stderr.String())
	}
	v.run.stopProgress()
	interruptNotices.mu.Lock()
	restored := interruptNotices.to == nil
	interruptNotices.mu.Unlock()
	if !restored {
		t.Error("after the display ended, interrupt notices still go to it")
	}
}
