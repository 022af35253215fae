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
	At      time.Time
}

// NewServer starts a fake gateway on a loopback port.
func NewServer() *Server {
	s := &Server{
		closed:    make(chan struct{}),
		models:    defaultModels(),
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

// SetModels replaces the catalog served by GET /v1/models.
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
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	switch {
	case r.Method == http.MethodGet && r.URL.Path == modelsPath:
		s.mu.Lock()
		list := map[string]any{"data": append([]gateway.Model{}, s.models...)}
		s.mu.Unlock()
		s.write(w, r, Reply{Body: list})
	case r.Method == http.MethodPost && r.URL.Path == chatPath:
		s.write(w, r, s.chatReply(r, req))
	default:
		s.write(w, r, Reply{Status: http.StatusNotFound, Body: nestedError(http.StatusNotFound, "not found: "+r.Method+" "+r.URL.Path)})
	}
}

// chatReply chooses the reply to a chat request (see the package doc).
func (s *Server) chatReply(r *http.Request, req *gateway.Request) Reply {
	s.mu.Lock()
	key := s.key
	s.mu.Unlock()
	if key != "" && r.Header.Get("Authorization") != key {
		return authError()
	}
	if rep, bad := validate(req); bad {
		return rep
	}
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

// write sends rep, after its delay unless the client or the server gives up.
func (s *Server) write(w http.ResponseWriter, r *http.Request, rep Reply) {
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
