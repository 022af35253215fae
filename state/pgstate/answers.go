package pgstate

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/promptform/promptform/state"
)

// answers is the answers table as a state.Answers. A plan looks up every
// instance's hash, most of them misses on a first run, so the first Lookup
// loads the set of every recorded hash (one query, 32 bytes a hash), and
// later ones ask the database only for hashes in the set. The set holds
// what was recorded before that first Lookup, and what this Backend's
// writers record after it; answers other processes record later are not
// seen until the next Backend. It is safe for concurrent use.
type answers struct {
	b      *Backend
	mu     sync.Mutex
	loaded bool
	sha    map[[32]byte]struct{} // "sha256:HEX" hashes, decoded
	other  map[string]struct{}   // any other hash, as it is
}

var _ state.Answers = (*answers)(nil)

// Lookup returns the record of the answered request with the hash, or nil
// when there is none: a copy, whose address is that of the instance that
// recorded it.
func (a *answers) Lookup(ctx context.Context, hash string) (*state.Step, error) {
	known, err := a.known(ctx, hash)
	if err != nil || !known {
		return nil, err
	}
	var raw []byte
	err = a.b.pool.QueryRow(ctx, `SELECT record FROM `+a.b.t.answers+` WHERE request_hash = $1`, hash).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil // deleted since
	}
	if err != nil {
		return nil, a.b.srv.wrap("look up answer "+hash, a.b.Describe(), err)
	}
	var rec state.Step
	if err := json.Unmarshal(raw, &rec); err != nil || rec.RequestHash != hash {
		return nil, failf("pgstate: the answer %s in %s is not a valid record; delete its row "+
			"(DELETE FROM %s WHERE request_hash = '%s') and the request is sent again", hash, a.b.Describe(), a.b.t.answers, hash)
	}
	return &rec, nil
}

// known reports whether hash is in the set, loading it first.
func (a *answers) known(ctx context.Context, hash string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		if err := a.load(ctx); err != nil {
			return false, err
		}
	}
	if k, ok := shaKey(hash); ok {
		_, found := a.sha[k]
		return found, nil
	}
	_, found := a.other[hash]
	return found, nil
}

// load reads every hash of the table into the set.
func (a *answers) load(ctx context.Context) error {
	a.sha, a.other = map[[32]byte]struct{}{}, map[string]struct{}{}
	rows, err := a.b.pool.Query(ctx, `SELECT request_hash FROM `+a.b.t.answers)
	if err != nil {
		return a.b.srv.wrap("load the answer hashes", a.b.Describe(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return a.b.srv.wrap("load the answer hashes", a.b.Describe(), err)
		}
		a.insert(h)
	}
	if err := rows.Err(); err != nil {
		return a.b.srv.wrap("load the answer hashes", a.b.Describe(), err)
	}
	a.loaded = true
	return nil
}

// add puts a hash a writer of this Backend recorded in the set, if it is
// loaded; if not, loading will read it.
func (a *answers) add(hash string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.loaded {
		a.insert(hash)
	}
}

func (a *answers) insert(hash string) {
	if k, ok := shaKey(hash); ok {
		a.sha[k] = struct{}{}
	} else {
		a.other[hash] = struct{}{}
	}
}

// shaKey decodes a "sha256:" and 64 lower-case hex digits hash.
func shaKey(hash string) (k [32]byte, ok bool) {
	h, found := strings.CutPrefix(hash, "sha256:")
	if !found || len(h) != 64 || strings.ToLower(h) != h {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(h))
	return k, err == nil
}
