package cli

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain runs the test binary as promptform itself when it is called by
// that name (the scripts' "exec promptform", through the link that
// linkBinary puts on PATH), and else runs the tests. The scripts spend most
// of their time waiting (for processes, the fake's delays, the lock), so
// unless -parallel says otherwise four times as many run at once as there
// are CPUs.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "promptform" {
		os.Exit(Main(os.Args[1:]))
	}
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
	dir, err := linkBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// linkBinary links the test binary as promptform into a new directory and
// puts that directory first on PATH.
func linkBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "promptform-bin-")
	if err != nil {
		return "", err
	}
	if err := os.Symlink(exe, filepath.Join(dir, "promptform")); err != nil {
		return dir, err
	}
	return dir, os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestScripts runs the end-to-end scripts in testdata/script. Each script
// has its own fake gateway on loopback, reachable through
// PROMPTFORM_GATEWAY_URL, and these commands:
//
//	promptform ARGS...      run promptform in the test process (fast); use
//	                        "exec promptform" where a real process matters
//	                        (background runs, signals, kills) and for runs
//	                        that wait on the clock (rate limits, the lock, a
//	                        tool's timeout): in-process runs take turns
//	gateway requests        print the recorded requests: one line per request,
//	                        "METHOD PATH auth=<Authorization header>", then
//	                        the body as canonical JSON
//	gateway headers         print every recorded request whole: "METHOD PATH",
//	                        each header as "Name: value" in name order, then
//	                        the body as it was sent
//	gateway count N         fail unless exactly N chat requests were recorded
//	gateway key KEY         require Authorization: KEY from now on
//	gateway reply STATUS TEXT   queue one reply: a JSON error body with TEXT as
//	                        its message for STATUS >= 400, else TEXT as the answer
//	gateway reply-raw STATUS BODY [NAME=VALUE...]   queue one reply with
//	                        BODY as it is, and these response headers
//	                        (Retry-After=3, X-Ratelimit-Reset=60, ...)
//	gateway delay DURATION  hold every default answer back this long
//	gateway await N         wait (at most 30s) until N chat requests arrived
//	gateway repeats-at-most N   fail unless at most N chat requests repeat an
//	                        earlier one (same body)
func TestScripts(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs("testdata/script") // the in-process commands change directory
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Values[envNamesKey{}] = envNames(env.Vars)
			srv := gatewaytest.NewServer()
			env.Defer(srv.Close)
			env.Values["gateway"] = srv
			env.Setenv(EnvGatewayURL, srv.URL())
			env.Setenv("NO_COLOR", "1")
			// A race-enabled promptform would sleep a second before it exits.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"gateway":    cmdGateway,
			"promptform": cmdPromptform,
		},
	})
}

func cmdGateway(ts *testscript.TestScript, neg bool, args []string) {
	srv := ts.Value("gateway").(*gatewaytest.Server)
	if neg {
		ts.Fatalf("gateway does not support !")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: gateway requests|headers|count N|key KEY|reply STATUS TEXT|reply-raw STATUS BODY")
	}
	switch args[0] {
	case "requests":
		var buf bytes.Buffer
		for _, r := range srv.Requests() {
			fmt.Fprintf(&buf, "%s %s auth=%s\n", r.Method, r.Path, r.Header.Get("Authorization"))
			if len(r.Body) > 0 {
				canon, err := gateway.CanonicalJSON(r.Body)
				if err != nil {
					canon = r.Body
				}
				buf.Write(canon)
				buf.WriteByte('\n')
			}
		}
		ts.Stdout().Write(buf.Bytes())
	case "headers":
		ts.Stdout().Write(dumpRequests(srv.Requests()))
	case "count":
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				n++
			}
		}
		if n != want {
			ts.Fatalf("the gateway saw %d chat requests, want %d", n, want)
		}
	case "key":
		srv.RequireKey(args[1])
	case "delay":
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		srv.Handle(func(*gateway.Request) gatewaytest.Reply { return gatewaytest.Reply{Delay: d} })
	case "await":
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		for deadline := time.Now().Add(30 * time.Second); chatCount(srv) < want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				ts.Fatalf("waited 30s for %d chat requests; %d arrived", want, chatCount(srv))
			}
		}
	case "repeats-at-most":
		most, err := strconv.Atoi(args[1])
		ts.Check(err)
		seen, repeats := map[string]bool{}, 0
		for _, r := range srv.Requests() {
			if r.Method != "POST" {
				continue
			}
			if seen[string(r.Body)] {
				repeats++
			}
			seen[string(r.Body)] = true
		}
		if repeats > most {
			ts.Fatalf("%d chat requests repeated an earlier one; at most %d may", repeats, most)
		}
	case "reply", "reply-raw":
		status, err := strconv.Atoi(args[1])
		ts.Check(err)
		rep := gatewaytest.Reply{Status: status}
		switch {
		case args[0] == "reply-raw":
			rep.Raw, rep.Header = args[2], replyHeader(ts, args[3:])
		case status >= 400:
			rep = gatewaytest.ErrorReply(status, args[2], "detail from the fake")
		default:
			rep.Text = args[2]
		}
		srv.Enqueue(rep)
	default:
		ts.Fatalf("unknown gateway command %q", args[0])
	}
}

// replyHeader reads NAME=VALUE arguments as response headers.
func replyHeader(ts *testscript.TestScript, args []string) http.Header {
	h := http.Header{}
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || name == "" {
			ts.Fatalf("reply-raw: header %q is not NAME=VALUE", arg)
		}
		h.Add(name, value)
	}
	return h
}

// chatCount counts the chat requests the fake has seen.
func chatCount(srv *gatewaytest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			n++
		}
	}
	return n
}

// dumpRequests renders recorded requests whole: the request line, every
// header in name order, and the body as it was sent.
func dumpRequests(reqs []gatewaytest.Recorded) []byte {
	var buf bytes.Buffer
	for _, r := range reqs {
		fmt.Fprintf(&buf, "%s %s\n", r.Method, r.Path)
		for _, name := range slices.Sorted(maps.Keys(r.Header)) {
			for _, v := range r.Header[name] {
				fmt.Fprintf(&buf, "%s: %s\n", name, v)
			}
		}
		buf.Write(r.Body)
		buf.WriteString("\n\n")
	}
	return buf.Bytes()
}
