package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxSSELine bounds one line of a server-sent event stream.
const maxSSELine = 16 << 20

// errBodyTooBig is the error of a limitedReader past its limit.
var errBodyTooBig = errors.New("response body too big")

// sseReader splits a text/event-stream body into the data of its events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines
// "data: x" of one event are joined with "\n", lines starting with ":" are
// comments (keep-alives), the fields event, id and retry and unknown fields
// are ignored, and an event is dispatched at a blank line or at the end of
// the body. An event with no data line is skipped.
type sseReader struct {
	sc *bufio.Scanner
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4<<10), maxSSELine)
	return &sseReader{sc: sc}
}

// next returns the data of the next event. At the end of the body it
// returns io.EOF; a read error or an over-long line is returned as it is.
func (r *sseReader) next() ([]byte, error) {
	var data []byte
	hasData := false
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if hasData {
				return data, nil
			}
			continue
		}
		field, value := splitField(line)
		if field != "data" {
			continue // a comment, event, id, retry, or unknown field
		}
		if hasData {
			data = append(data, '\n')
		}
		data = append(data, value...)
		hasData = true
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("event stream line longer than %d bytes", maxSSELine)
		}
		return nil, err
	}
	if hasData {
		return data, nil
	}
	return nil, io.EOF
}

// splitField splits "field: value" (one optional space after the colon). A
// comment line (":...") has the empty field; a line without a colon is a
// field with an empty value.
func splitField(line []byte) (field string, value []byte) {
	name, value, found := bytes.Cut(line, []byte(":"))
	if !found {
		return string(line), nil
	}
	return string(name), bytes.TrimPrefix(value, []byte(" "))
}

// limitedReader reads from r until more than limit bytes have come, then
// fails with errBodyTooBig.
type limitedReader struct {
	r     io.Reader
	limit int64
	n     int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n > l.limit {
		return 0, errBodyTooBig
	}
	if rest := l.limit + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		return n, errBodyTooBig
	}
	return n, err
}
