package gatewaytest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptform/promptform/gateway"
)

// Fault is what a Faults server does with one chat request.
type Fault int

// The faults.
const (
	// FaultNone passes the request to the wrapped Server, which answers it.
	FaultNone Fault = iota
	// Fault503 answers 503 with the nested error body (shape A) and no
	// Retry-After, so the client backs off on its own.
	Fault503
	// Fault429 answers 429 with the flat body, Retry-After and
	// retry-after-ms (see FaultConfig.RetryAfter).
	Fault429
	// FaultDrop reads the request, then closes the connection without a
	// response.
	FaultDrop
	// FaultStall reads the request and holds it unanswered until the
	// client gives up, the Faults server closes, or FaultConfig.MaxStall
	// passes; then it closes the connection without a response.
	FaultStall
)

// String returns the fault's name, as in "503".
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case Fault503:
		return "503"
	case Fault429:
		return "429"
	case FaultDrop:
		return "drop"
	case FaultStall:
		return "stall"
	default:
		return fmt.Sprintf("Fault(%d)", int(f))
	}
}

// DefaultMaxStall is how long a stalled request is held at most when
// FaultConfig.MaxStall is zero.
const DefaultMaxStall = time.Minute

// FaultConfig says how often a Faults server fails chat requests. Each
// rate is a probability from 0 to 1, and together they must not exceed 1;
// what remains is the chance of FaultNone.
type FaultConfig struct {
	// Seed seeds the draws: the same seed and the same order of arrival
	// give the same faults.
	Seed uint64

	Fail503, Throttle429, Drop, Stall float64

	// RetryAfter is the wait a 429 asks for, sent as retry-after-ms and
	// as Retry-After in whole seconds, rounded up. Zero asks for none:
	// both headers are then "0".
	RetryAfter time.Duration

	// MaxStall bounds a stall, for clients without a timeout. Default
	// DefaultMaxStall.
	MaxStall time.Duration
}

// Faults is a fake gateway that fails chat requests on purpose, with the
// rates of its FaultConfig, and passes the others to a Server, which
// answers them and alone records them (Server.Requests). Other requests
// (GET /v1/models) always go through. Create it with NewFaults and Close
// it when done. It counts, per distinct request, how often it came and
// how each arrival was treated (Asked, Take). A Faults is safe for
// concurrent use.
type Faults struct {
	srv       *Server
	front     *httptest.Server
	cfg       FaultConfig
	closed    chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	idle     *sync.Cond // signalled when inFlight drops to zero
	inFlight int
	rng      *rand.Rand
	asked    map[string]*Asked
}

// NewFaults starts a Faults server on a loopback port in front of srv. It
// panics when a rate of cfg is negative or the rates add up to more than 1.
// Closing the Faults server leaves srv running.
func NewFaults(srv *Server, cfg FaultConfig) *Faults {
	rates := []float64{cfg.Fail503, cfg.Throttle429, cfg.Drop, cfg.Stall}
	sum := 0.0
	for _, r := range rates {
		if r < 0 || r > 1 {
			panic(fmt.Sprintf("gatewaytest: fault rate %g is not between 0 and 1", r))
		}
		sum += r
	}
	if sum > 1+1e-9 {
		panic(fmt.Sprintf("gatewaytest: fault rates add up to %g, more than 1", sum))
	}
	if cfg.MaxStall <= 0 {
		cfg.MaxStall = DefaultMaxStall
	}
	f := &Faults{
		srv:    srv,
		cfg:    cfg,
		closed: make(chan struct{}),
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		asked:  map[string]*Asked{},
	}
	f.idle = sync.NewCond(&f.mu)
	f.front = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	return f
}

// URL returns the base URL to give gateway.Config.BaseURL, including /v1.
func (f *Faults) URL() string { return f.front.URL + "/v1" }

// Close stops the Faults server; stalled requests are let go unanswered.
// Close may be called more than once.
func (f *Faults) Close() {
	f.closeOnce.Do(func() {
		close(f.closed)
		f.front.Close()
	})
}

// serveHTTP draws the fault of a chat request and carries it out.
func (f *Faults) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != chatPath {
		f.srv.serveHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	at := time.Now()
	a, i, fault := f.arrive(body, at)
	res := Arrival{Fault: fault}
	defer func() { f.leave(a, i, res, time.Since(at)) }() // also when hangUp aborts
	switch fault {
	case Fault503:
		rep := Reply{Status: http.StatusServiceUnavailable, Header: http.Header{"X-Request-Id": {faultID(a.Key)}}}
		res = deliver(w, func(w http.ResponseWriter) { f.srv.write(w, r, rep.finish(nil), false) })
	case Fault429:
		res = deliver(w, func(w http.ResponseWriter) { f.srv.write(w, r, f.throttled(faultID(a.Key)), false) })
	case FaultStall:
		f.stall(r)
		hangUp(w)
	case FaultDrop:
		hangUp(w)
	default:
		res = deliver(w, func(w http.ResponseWriter) { f.srv.serveHTTP(w, r) })
	}
	res.Fault = fault
}

// arrive counts one arrival of the chat request body and draws its fault.
// It returns the request's record and the index of the arrival in it.
func (f *Faults) arrive(body []byte, at time.Time) (*Asked, int, Fault) {
	key, prompt := requestKey(body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight++
	a, ok := f.asked[key]
	if !ok {
		a = &Asked{Key: key, Prompt: prompt}
		f.asked[key] = a
	}
	fault := f.draw()
	a.Arrivals = append(a.Arrivals, Arrival{Fault: fault, At: at})
	return a, len(a.Arrivals) - 1, fault
}

// leave records how the arrival at index i of a was answered, and ends it.
func (f *Faults) leave(a *Asked, i int, res Arrival, took time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	res.Done, res.At, res.Took = true, a.Arrivals[i].At, took
	a.Arrivals[i] = res
	if f.inFlight--; f.inFlight == 0 {
		f.idle.Broadcast()
	}
}

// draw picks a fault. The caller holds f.mu.
func (f *Faults) draw() Fault {
	x := f.rng.Float64()
	for _, c := range []struct {
		fault Fault
		rate  float64
	}{{Fault503, f.cfg.Fail503}, {Fault429, f.cfg.Throttle429}, {FaultDrop, f.cfg.Drop}, {FaultStall, f.cfg.Stall}} {
		if x < c.rate {
			return c.fault
		}
		x -= c.rate
	}
	return FaultNone
}

// faultID is the request id of a fault's answer to the request of key.
func faultID(key string) string { return "gatewaytest-fault-" + key[:16] }

// throttled is the 429 reply of Fault429, with request id id.
func (f *Faults) throttled(id string) Reply {
	wait := f.cfg.RetryAfter
	h := http.Header{}
	h.Set("Retry-After", strconv.FormatInt(ceilDiv(wait, time.Second), 10))
	h.Set("Retry-After-Ms", strconv.FormatInt(ceilDiv(wait, time.Millisecond), 10))
	h.Set("X-Request-Id", id)
	return Reply{Status: http.StatusTooManyRequests, Header: h, Body: map[string]any{
		"request_id": id,
		"message":    "too many requests for this action",
		"code":       http.StatusTooManyRequests,
	}}
}

// stall holds a request until its client goes away, the server closes or
// MaxStall passes.
func (f *Faults) stall(r *http.Request) {
	t := time.NewTimer(f.cfg.MaxStall)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-f.closed:
	case <-t.C:
	}
}

// requestKey returns the key of a chat request body, the hex SHA-256 of
// its canonical JSON (of the body itself when it is not a request), and
// its last user message.
func requestKey(body []byte) (key, prompt string) {
	var req gateway.Request
	if json.Unmarshal(body, &req) == nil {
		return requestHash(&req), req.LastUserText()
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), ""
}

// Asked returns what was asked since NewFaults or the last Take, one entry
// per distinct request, sorted by Key. Arrivals still being answered are
// in it with Done false.
func (f *Faults) Asked() []Asked {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshot()
}

// Take waits until no chat request is being answered, then returns what
// was asked since NewFaults or the last Take, as Asked does, and starts
// counting afresh; the draws go on where they were. A stalled request
// whose client never gives up holds Take for up to MaxStall.
func (f *Faults) Take() []Asked {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.inFlight > 0 {
		f.idle.Wait()
	}
	out := f.snapshot()
	f.asked = map[string]*Asked{}
	return out
}

// snapshot copies f.asked. The caller holds f.mu.
func (f *Faults) snapshot() []Asked {
	out := make([]Asked, 0, len(f.asked))
	for _, a := range f.asked {
		c := *a
		c.Arrivals = append([]Arrival(nil), a.Arrivals...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// hangUp closes the connection of w without a response.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // not HTTP/1: abort the response instead
	}
	_ = conn.Close()
}

// Arrival is one arrival of a chat request at a Faults server.
type Arrival struct {
	Fault Fault
	At    time.Time // when the request arrived
	// Done is false while the request is being answered; the fields
	// below are set when it is done.
	Done bool
	// Status is the HTTP status sent, or 0 when none was: FaultDrop,
	// FaultStall, or a client that went away before the answer.
	Status int
	// Delivered is true for a 2xx answer sent whole, with its
	// Content-Length (an event stream as it came), and flushed, every
	// write and the flush without error: it reached the connection. The
	// client has it unless it gave up first: its timeout can fire while
	// the answer is on its way.
	Delivered bool
	// Text is the text of a delivered JSON answer (Response.Text); empty
	// for an event stream.
	Text string
	// Took is how long the answer took, from arrival to the end of the
	// last write (or to the hang-up).
	Took time.Duration
}

// Asked is what a Faults server saw of one distinct chat request: one
// canonical JSON body.
type Asked struct {
	Key      string    // the hex SHA-256 of the request's canonical JSON
	Prompt   string    // its last user message (Request.LastUserText)
	Arrivals []Arrival // in order of arrival
}

// Delivered returns the delivered arrivals, in order.
func (a Asked) Delivered() []Arrival {
	var out []Arrival
	for _, x := range a.Arrivals {
		if x.Delivered {
			out = append(out, x)
		}
	}
	return out
}

// deliver answers with write through a writer that notes what was sent
// and whether it all reached the connection.
func deliver(w http.ResponseWriter, write func(http.ResponseWriter)) Arrival {
	t := &teeWriter{ResponseWriter: w}
	write(t)
	if t.status == 0 {
		return Arrival{} // nothing written: the client went away
	}
	t.end()
	ok := t.err == nil && t.status >= 200 && t.status <= 299
	a := Arrival{Status: t.status, Delivered: ok}
	if ok {
		a.Text = answerText(w.Header(), t.body.Bytes())
	}
	return a
}

// teeWriter is a ResponseWriter that keeps the status, a copy of the body
// and the first write error. It holds the answer back until end, which
// sends it whole with its Content-Length, so that a flush that succeeds
// means the client can read all of it; an event stream, which flushes as
// it goes, is passed on from its first Flush.
type teeWriter struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	streaming bool // Flush was called: writes go straight through
	err       error
}

func (t *teeWriter) WriteHeader(status int) {
	if t.status == 0 {
		t.status = status
	}
}

func (t *teeWriter) Write(p []byte) (int, error) {
	if t.status == 0 {
		t.status = http.StatusOK
	}
	t.body.Write(p)
	if !t.streaming {
		return len(p), nil
	}
	n, err := t.ResponseWriter.Write(p)
	t.note(err)
	return n, err
}

// Flush sends what is held and, from then on, every write as it comes.
func (t *teeWriter) Flush() {
	if !t.streaming {
		t.streaming = true
		t.ResponseWriter.WriteHeader(cmp.Or(t.status, http.StatusOK))
		_, err := t.ResponseWriter.Write(t.body.Bytes())
		t.note(err)
	}
	t.note(http.NewResponseController(t.ResponseWriter).Flush())
}

// end sends the answer, unless it streamed, and flushes it.
func (t *teeWriter) end() {
	if !t.streaming {
		t.streaming = true
		t.Header().Set("Content-Length", strconv.Itoa(t.body.Len()))
		t.ResponseWriter.WriteHeader(t.status)
		_, err := t.ResponseWriter.Write(t.body.Bytes())
		t.note(err)
	}
	t.note(http.NewResponseController(t.ResponseWriter).Flush())
}

// Unwrap returns the underlying ResponseWriter, for http.ResponseController.
func (t *teeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func (t *teeWriter) note(err error) {
	if err != nil && t.err == nil {
		t.err = err
	}
}

// answerText is the text of a JSON answer body, or "" for another body.
func answerText(header http.Header, body []byte) string {
	if !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		return ""
	}
	var resp gateway.Response
	if json.Unmarshal(body, &resp) != nil {
		return ""
	}
	return resp.Text()
}
