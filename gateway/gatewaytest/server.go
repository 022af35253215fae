package gatewaytest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/promptform/promptform/gateway"
)

// maxRequestBody bounds what the fake reads of a request body.
const maxRequestBody = 64 << 20

// Server is a fake LLM Gateway. Create it with NewServer and Close it when
// done. Its methods are safe for concurrent use, also while it serves.
type Server struct {
	srv       *httptest.Server
	closed    chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	requests  []Recorded
	queue     []Reply
	handle    func(*gateway.Request) Reply
	key       string
	models    []gateway.Model
	throttled map[string]bool // fail-429: canonical hashes answered 429 last time
	rate      *rateLimit      // nil: no rate limit
}

// Recorded is one request the server received.
type Recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Request is the decoded chat request, nil for other requests and for
	// bodies that did not decode.
	Request *gateway.Request
	// At is when the request arrived.
	At time.Time
	// Status is the HTTP status the fake answered (429 for a request over
	// the SetRateLimit limit), 0 while the answer is still being chosen.
	Status int
}

// NewServer starts a fake gateway on a loopback port.
func NewServer() *Server {
	s := &Server{
		closed:    make(chan struct{}),
		models:    DefaultModels(),
		throttled: map[string]bool{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL returns the base URL to give gateway.Config.BaseURL, including /v1,
// e.g. "http://127.0.0.1:43121/v1".
func (s *Server) URL() string { return s.srv.URL + "/v1" }

// Close stops the server. Replies still waiting out a Delay are abandoned.
// Close may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestsJSON returns the bodies of the chat requests received so far, in
// arrival order, each as canonical JSON (sorted keys) on its own line. Bodies
// that are not valid JSON are left out.
func (s *Server) RequestsJSON() []byte {
	var buf bytes.Buffer
	for _, r := range s.Requests() {
		if r.Path != chatPath || len(r.Body) == 0 {
			continue
		}
		if c, err := gateway.CanonicalJSON(r.Body); err == nil {
			buf.Write(c)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes()
}

// Handle sets the function that answers chat requests not answered by a
// magic model id or a queued reply. It is called concurrently, once per
// request; it must not modify the request. A Reply with neither Body nor Raw
// gets the default answer. Handle(nil) restores the default.
func (s *Server) Handle(f func(req *gateway.Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handle = f
}

// Enqueue adds replies to a queue; each chat request not answered by a
// magic model id takes the next one, before Handle is consulted.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// RequireKey makes chat requests need the header "Authorization: <key>";
// others get 401. An empty key turns the check off. GET /v1/models never
// needs a key, as on the real gateway.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = key
}

// SetModels replaces the catalog served by GET /v1/models with models, in
// that order; SetModels() serves an empty catalog. Give each entry the
// supported_parameters and context_length a test needs: package gateway
// gates features with Model.Supports. The fake never enforces the catalog:
// a chat request for a model that is not listed, or with a parameter its
// entry does not list, is answered as usual. The default catalog (see
// DefaultModels) is served until SetModels is called.
func (s *Server) SetModels(models ...gateway.Model) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = append([]gateway.Model{}, models...)
}

// Paths served.
const (
	chatPath   = "/v1/chat/completions"
	modelsPath = "/v1/models"
)

// serveHTTP records the request and dispatches it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	rec := Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, At: time.Now()}
	var req *gateway.Request
	if r.Method == http.MethodPost && r.URL.Path == chatPath {
		var decoded gateway.Request
		if json.Unmarshal(body, &decoded) == nil {
			req = &decoded
			rec.Request = req
		}
	}
	s.mu.Lock()
	index := len(s.requests)
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	var rep Reply
	stream := false
	switch {
	case r.Method == http.MethodGet && r.URL.Path == modelsPath:
		s.mu.Lock()
		rep = Reply{Body: map[string]any{"data": append([]gateway.Model{}, s.models...)}}
		s.mu.Unlock()
	case r.Method == http.MethodPost && r.URL.Path == chatPath:
		rep = s.chatReply(r, req, rec.At)
		stream = req != nil && req.Stream != nil && *req.Stream
	default:
		rep = Reply{Status: http.StatusNotFound, Body: nestedError(http.StatusNotFound, "not found: "+r.Method+" "+r.URL.Path)}
	}
	s.mu.Lock()
	s.requests[index].Status = cmp.Or(rep.Status, http.StatusOK)
	s.mu.Unlock()
	s.write(w, r, rep, stream)
}

// chatReply chooses the reply to a chat request (see the package doc).
func (s *Server) chatReply(r *http.Request, req *gateway.Request, at time.Time) Reply {
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if key != "" && r.Header.Get("Authorization") != key {
		return authError()
	}
	if rep, bad := validate(req); bad {
		return rep
	}
	limits, limited := s.admit(req.Model, at, requestID(req))
	if limited != nil {
		return limited.finish(req)
	}
	return addHeader(s.scriptedReply(req), limits)
}

// scriptedReply chooses among a magic model id, the queue, Handle and the
// default answer.
func (s *Server) scriptedReply(req *gateway.Request) Reply {
	if rep, ok := s.magic(req); ok {
		return rep.finish(req)
	}
	s.mu.Lock()
	handle := s.handle
	var rep Reply
	queued := len(s.queue) > 0
	if queued {
		rep, s.queue = s.queue[0], s.queue[1:]
	}
	s.mu.Unlock()
	if !queued && handle != nil {
		rep = handle(req)
	}
	return rep.finish(req)
}

// addHeader adds the headers of h that rep does not set already.
func addHeader(rep Reply, h http.Header) Reply {
	if len(h) == 0 {
		return rep
	}
	if rep.Header == nil {
		rep.Header = http.Header{}
	}
	for k, vs := range h {
		if rep.Header.Get(k) == "" {
			rep.Header[http.CanonicalHeaderKey(k)] = vs
		}
	}
	return rep
}

// write sends rep, after its delay unless the client or the server gives up.
// With stream set, a successful answer whose Body is a *gateway.Response is
// sent as an event stream.
func (s *Server) write(w http.ResponseWriter, r *http.Request, rep Reply, stream bool) {
	if rep.Delay > 0 {
		t := time.NewTimer(rep.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.closed:
			return
		}
	}
	if resp, ok := rep.Body.(*gateway.Response); ok && stream && rep.Raw == "" && cmp.Or(rep.Status, http.StatusOK) < 300 {
		writeStream(w, rep.Header, resp)
		return
	}
	for k, vs := range rep.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	body := []byte(rep.Raw)
	if rep.Raw == "" && rep.Body != nil {
		var err error
		if body, err = json.Marshal(rep.Body); err != nil {
			rep.Status = http.StatusInternalServerError
			body, _ = json.Marshal(nestedError(rep.Status, "gatewaytest: encode reply: "+err.Error()))
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(cmp.Or(rep.Status, http.StatusOK))
	_, _ = w.Write(body)
}
