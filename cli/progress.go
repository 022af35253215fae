package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progressMinCalls is the fewest calls an apply makes for it to show its
// progress.
const progressMinCalls = 10

// progressEvery is the shortest time between two progress lines off a
// terminal.
const progressEvery = 10 * time.Second

// barWidth is the width of the bar itself on a wide terminal; the counts
// beside it leave it minBarWidth at least.
const (
	barWidth    = 30
	minBarWidth = 12
)

// barRefresh is how often the progress bar is drawn again on a terminal.
const barRefresh = 150 * time.Millisecond

// clock tells the time and makes tickers; tests drive a fake one.
type clock interface {
	Now() time.Time
	// Ticker returns a channel that receives the time every d, and a
	// function that stops it.
	Ticker(d time.Duration) (<-chan time.Time, func())
}

// realClock is the system's clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Ticker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// progress is the progress display of a running apply.
type progress interface {
	// stop ends the display; nothing else may write on stderr before it
	// has returned. It is called once, when the run has returned.
	stop()
}

// startProgress starts the progress display of the run that began at
// start and is counted in t: a bar on a terminal, where the hook's lines
// print above it, else a line now and then among the hook's lines.
func startProgress(h *humanHook, t *tally, tty bool, c clock, start time.Time, width int) progress {
	if tty {
		return startBar(h, t, c, start, width)
	}
	return startLines(h, t, c, start)
}

// snapshot is how far a run has come.
type snapshot struct {
	done, total, running, failed, skipped, assertFailures, tokens int
}

// snapshot returns how far the run has come: of the instances that may
// call a model, how many are done (answered, failed or re-used), skipped
// and running.
func (t *tally) snapshot() snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	return snapshot{
		done: t.done, total: len(t.calls), running: len(t.running), failed: t.failed, skipped: t.skips,
		assertFailures: t.scored, tokens: t.tokens,
	}
}

// listen makes f the function called after each event that may end an
// instance; nil stops the calls.
func (t *tally) listen(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changed = f
}

// counts spells how many instances are done: 412/2,000 done.
func (s snapshot) counts() string { return num(s.done) + "/" + num(s.total) + " done" }

// details spells the rest of a snapshot taken elapsed into the run, the
// most telling first (a narrow terminal cuts the end): 8 running, 3 failed,
// 12 assert failures, 1m20s elapsed, ETA 2m10s, 1.2M tokens.
func (s snapshot) details(elapsed time.Duration) string {
	parts := []string{
		num(s.running) + " running", num(s.failed) + " failed",
	}
	if s.skipped > 0 {
		parts = append(parts, num(s.skipped)+" skipped")
	}
	parts = append(parts, count(s.assertFailures, "assert failure"), elapsed.Round(time.Second).String()+" elapsed")
	if left := s.total - s.done - s.skipped; s.done > 0 && left > 0 {
		eta := elapsed * time.Duration(left) / time.Duration(s.done)
		parts = append(parts, "ETA "+eta.Round(time.Second).String())
	}
	parts = append(parts, compactNum(s.tokens)+" tokens")
	return strings.Join(parts, ", ")
}

// compactNum spells a large count briefly: 9,876, 12.3k, 1.2M.
func compactNum(n int) string {
	switch {
	case n < 10_000:
		return num(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1fM", float64(n)/1e6)
}

// progressLines prints a progress line among the hook's lines every
// progressEvery at most, for logs.
type progressLines struct {
	h          *humanHook
	t          *tally
	start      time.Time
	quit, done chan struct{}
}

func startLines(h *humanHook, t *tally, c clock, start time.Time) *progressLines {
	p := &progressLines{h: h, t: t, start: start, quit: make(chan struct{}), done: make(chan struct{})}
	tick, stopTick := c.Ticker(progressEvery)
	go p.run(tick, stopTick)
	return p
}

// run prints a line on each tick at least progressEvery after the last
// one (or the start), until stopped.
func (p *progressLines) run(tick <-chan time.Time, stopTick func()) {
	defer close(p.done)
	defer stopTick()
	last := p.start
	for {
		select {
		case <-p.quit:
			return
		case now := <-tick:
			if now.Sub(last) < progressEvery {
				continue
			}
			last = now
			s := p.t.snapshot()
			p.h.line("Progress: %s, %s", s.counts(), s.details(now.Sub(p.start)))
		}
	}
}

func (p *progressLines) stop() {
	close(p.quit)
	<-p.done
}

// progressBar is a bar at the bottom of the terminal (mpb), with the
// hook's lines printed above it.
type progressBar struct {
	h        *humanHook
	t        *tally
	p        *mpb.Progress
	bar      *mpb.Bar
	lines    *lineWriter // the hook's writer while the bar runs
	out      io.Writer   // the hook's writer before and after
	refresh  chan any    // draws the bar again
	shutdown chan any    // closed when the bar is gone
	quit     chan struct{}
	done     chan struct{}
}

// startBar starts a bar for the calls of t on the hook's writer, drawn
// every barRefresh of c; opts are more options of the bar's container.
func startBar(h *humanHook, t *tally, c clock, start time.Time, width int, opts ...mpb.ContainerOption) *progressBar {
	b := &progressBar{h: h, t: t, refresh: make(chan any), shutdown: make(chan any),
		quit: make(chan struct{}), done: make(chan struct{})}
	b.lines = &lineWriter{width: width}
	b.out = h.swap(b.lines) // nothing is written before the run starts
	b.p = mpb.New(append([]mpb.ContainerOption{
		mpb.WithOutput(b.out), mpb.ForceTTY(), mpb.WithManualRefresh(b.refresh), mpb.WithShutdownNotifier(b.shutdown),
	}, opts...)...)
	b.bar = b.p.AddBar(int64(t.callCount()), mpb.BarWidth(barWidth),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return t.snapshot().counts() })),
		mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
			return fit(t.snapshot().details(c.Now().Sub(start)), s.AvailableWidth-minBarWidth-2)
		})),
	)
	t.listen(func() { b.bar.SetCurrent(int64(t.snapshot().done)) })
	b.lines.w = b.p
	tick, stopTick := c.Ticker(barRefresh)
	go b.forward(tick, stopTick)
	return b
}

// forward draws the bar on each tick until stopped.
func (b *progressBar) forward(tick <-chan time.Time, stopTick func()) {
	defer close(b.done)
	defer stopTick()
	for {
		select {
		case <-b.quit:
			return
		case now := <-tick:
			select {
			case b.refresh <- now:
			case <-b.quit:
				return
			case <-b.shutdown:
				return
			}
		}
	}
}

// stop gives the hook its writer back, draws the bar a last time (with
// the lines written above it so far) and leaves it on the screen.
func (b *progressBar) stop() {
	close(b.quit)
	<-b.done
	b.h.swap(b.out)
	b.t.listen(nil)
	b.bar.SetCurrent(int64(b.t.snapshot().done))
	b.bar.Abort(false) // unless it completed
	select {
	case b.refresh <- time.Now():
	case <-b.shutdown:
	}
	b.p.Wait()
	if len(b.lines.pending) > 0 {
		b.out.Write(b.lines.pending) // a streamed line cut short
	}
}

// fit cuts text to width, marking the cut with an ellipsis.
func fit(text string, width int) string {
	if utf8.RuneCountInString(text) <= width {
		return text
	}
	if width <= 0 {
		return ""
	}
	return string([]rune(text)[:width-1]) + "…"
}

// lineWriter passes only whole lines on to w: the bar prints above itself
// what it is given, and a part of a line would be drawn over. A line longer
// than width is broken at a space, so that streamed text shows as it comes.
type lineWriter struct {
	w       io.Writer
	width   int
	pending []byte
}

func (l *lineWriter) Write(b []byte) (int, error) {
	l.pending = append(l.pending, b...)
	for {
		line, rest, ok := bytes.Cut(l.pending, []byte("\n"))
		if !ok {
			if len(l.pending) <= l.width || l.width <= 0 {
				return len(b), nil
			}
			cut := breakAt(l.pending, l.width)
			line, rest = l.pending[:cut], bytes.TrimLeft(l.pending[cut:], " ")
		}
		if _, err := l.w.Write(append(line[:len(line):len(line)], '\n')); err != nil {
			return len(b), err
		}
		l.pending = append([]byte(nil), rest...)
	}
}

// breakAt returns where to break text longer than width: after its last
// space within width, else at the start of the rune width falls in.
func breakAt(text []byte, width int) int {
	if i := bytes.LastIndexByte(text[:width], ' '); i > 0 {
		return i
	}
	i := width
	for i > 1 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}
