package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/state"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// PlanFileVersion is the format version of saved plan files.
const PlanFileVersion = "2" // 2: snake_case keys in var_args

// SavedPlan is a plan file: what apply needs to run exactly the reviewed
// plan, and to refuse it when anything it was made from has changed.
type SavedPlan struct {
	FormatVersion string `json:"format_version"`
	Promptform    string `json:"promptform_version"`
	// ConfigHash is the SHA-256 of the configuration files, by name.
	ConfigHash string `json:"config_hash"`
	// Variables are the values the plan was made with, with their types,
	// and VarArgs the -var and -var-file options that gave some of them:
	// apply collects the variables again from the same sources and refuses
	// the plan when a value differs.
	Variables map[string]SavedValue `json:"variables"`
	VarArgs   []config.VarArg       `json:"var_args,omitempty"`
	// The state the plan was made against: none, or a lineage and serial.
	StateExists bool `json:"state_exists"`
	// Workspace is the workspace the plan was made in; "" for plans made
	// before workspaces, which are the default one's.
	Workspace string        `json:"workspace,omitempty"`
	Lineage   string        `json:"lineage,omitempty"`
	Serial    uint64        `json:"serial"`
	Offline   bool          `json:"offline,omitempty"`
	Replay    bool          `json:"replay,omitempty"`
	Targets   []string      `json:"targets,omitempty"`
	Excludes  []string      `json:"excludes,omitempty"`
	Replace   []string      `json:"replace,omitempty"`
	Changes   []SavedChange `json:"changes"`
	// Budget is the -budget the plan was made with, in USD, which apply
	// holds unless given its own; nil without one.
	Budget *float64 `json:"budget,omitempty"`
	// Cost is the plan's cost estimate, with its total per step; nil in
	// files from before estimates were saved. Each change carries its own.
	Cost *CostEstimate `json:"cost,omitempty"`
}

// SavedValue is a variable value and its type, as cty JSON. A sensitive
// one is stored (apply needs it) but never shown.
type SavedValue struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// SavedChange is one planned instance: its action and, when the request was
// known, its hash.
type SavedChange struct {
	Address     string          `json:"address"`
	Action      string          `json:"action"`
	Reason      string          `json:"reason,omitempty"`
	RequestHash string          `json:"request_hash,omitempty"`
	Request     json.RawMessage `json:"request,omitempty"`
	// Cost is the estimate of the instance's call, when it will or may
	// call a model.
	Cost *InstanceCost `json:"cost,omitempty"`
}

// ConfigHash hashes the configuration files of cfg's directory and of
// every module it calls, by path (relative to cfg's directory) and
// content.
func ConfigHash(cfg *config.Config) (string, error) {
	var dirs []string
	seen := map[string]bool{}
	var walk func(c *config.Config)
	walk = func(c *config.Config) {
		if d := filepath.Clean(c.Dir); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Children)) {
			walk(c.Children[name])
		}
	}
	walk(cfg)
	h := sha256.New()
	for _, dir := range dirs {
		paths, err := config.ConfigFiles(dir)
		if err != nil {
			return "", err
		}
		sort.Strings(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				return "", err
			}
			name := filepath.Base(p)
			if rel, err := filepath.Rel(cfg.Dir, p); err == nil && dir != filepath.Clean(cfg.Dir) {
				name = filepath.ToSlash(rel)
			}
			fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
			h.Write(b)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// SavedChanges returns the plan's changes in saved form, each with the
// estimate of its call.
func (p *Plan) SavedChanges() []SavedChange {
	out := []SavedChange{}
	for _, c := range p.Changes {
		sc := SavedChange{Address: c.Address, Action: c.Action.String(), Reason: c.Reason, RequestHash: c.Hash, Request: c.Canonical, Cost: c.Cost}
		if c.Rendered != nil && c.Rendered.Sensitive() {
			sc.Request = nil // the hash binds it; its text is not shown
		}
		out = append(out, sc)
	}
	return out
}

// SavedCost returns the plan's cost estimate as a plan file keeps it.
func (p *Plan) SavedCost() *CostEstimate {
	est := p.Cost
	return &est
}

// EncodeVars turns variable values into their saved form.
func EncodeVars(cfg *config.Config, vars map[string]cty.Value) (map[string]SavedValue, error) {
	out := map[string]SavedValue{}
	for name, v := range vars {
		v, _ = v.UnmarkDeep()
		val, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
		ty, err := ctyjson.MarshalType(v.Type())
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
		out[name] = SavedValue{Value: val, Type: ty, Sensitive: cfg != nil && cfg.Variables[name] != nil && cfg.Variables[name].Sensitive}
	}
	return out, nil
}

// DecodeVars reads saved variable values.
func DecodeVars(saved map[string]SavedValue) (map[string]cty.Value, error) {
	out := map[string]cty.Value{}
	for name, sv := range saved {
		ty, err := ctyjson.UnmarshalType(sv.Type)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
		v, err := ctyjson.Unmarshal(sv.Value, ty)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

// ChangedVar names a variable whose current value differs from the saved
// one, or returns "".
func ChangedVar(saved map[string]SavedValue, now map[string]cty.Value) string {
	cur, err := EncodeVars(nil, now)
	if err != nil {
		return "?"
	}
	for _, name := range slices.Sorted(maps.Keys(now)) {
		s, ok := saved[name]
		if !ok || !state.SameJSON(s.Value, cur[name].Value) || !state.SameJSON(s.Type, cur[name].Type) {
			return name
		}
	}
	return ""
}

// SameChanges reports the first difference between two plans' changes, or
// "" when they are the same.
func SameChanges(saved, now []SavedChange) string {
	if len(saved) != len(now) {
		return fmt.Sprintf("it planned %d step instances, and now %d are planned", len(saved), len(now))
	}
	for i := range saved {
		a, b := saved[i], now[i]
		switch {
		case a.Address != b.Address:
			return fmt.Sprintf("it planned %s where %s is now planned", a.Address, b.Address)
		case a.Action != b.Action:
			return fmt.Sprintf("%s was planned to %s and would now %s", a.Address, a.Action, b.Action)
		case a.RequestHash != b.RequestHash:
			return fmt.Sprintf("the request of %s is not the one planned", a.Address)
		}
	}
	return ""
}
