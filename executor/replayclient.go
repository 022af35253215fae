package executor

import (
	"context"
	"errors"

	"github.com/promptform/promptform/gateway"
)

// ErrNotRecorded is the error of a request that replay mode cannot serve.
var ErrNotRecorded = errors.New("executor: the request is not recorded in the state, and -replay serves only recorded responses; apply without -replay to record it")

// Replay is the client of -replay: every request must have been re-used
// from the state before it reaches a client, so any call fails with
// ErrNotRecorded, and the run stops at the first one. It never touches the
// network.
type Replay struct{}

// Chat fails with ErrNotRecorded.
func (Replay) Chat(context.Context, *gateway.Request) (*gateway.Response, error) {
	return nil, ErrNotRecorded
}

// ChatStream fails with ErrNotRecorded.
func (Replay) ChatStream(context.Context, *gateway.Request) (*gateway.Stream, error) {
	return nil, ErrNotRecorded
}
