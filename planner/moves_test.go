package planner

import (
	"slices"
	"testing"

	"github.com/promptform/promptform/addrs"
	"github.com/promptform/promptform/state"
)

func TestMoveRecords(t *testing.T) {
	st := state.New()
	for _, r := range []struct {
		addr, name, key string
		sample          int
	}{
		{`step.a["x"]`, "a", `"x"`, 0}, {`step.a["x"]#1`, "a", `"x"`, 1}, {`step.a["y"]`, "a", `"y"`, 0},
		{`step.solo`, "solo", ``, 0}, {`step.other`, "other", ``, 0},
	} {
		rec := &state.Step{Address: r.addr, Name: r.name, Sample: r.sample}
		if r.key != "" {
			rec.Key = []byte(r.key)
		}
		st.Steps[r.addr] = rec
	}
	target := func(s string) addrs.Target {
		tg, err := addrs.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		return tg
	}
	for _, test := range []struct {
		from, to string
		want     []string // from -> to
	}{
		{"step.a", "step.b", []string{`step.a["x"] -> step.b["x"]`, `step.a["x"]#1 -> step.b["x"]#1`, `step.a["y"] -> step.b["y"]`}},
		{`step.a["x"]`, `step.a["z"]`, []string{`step.a["x"] -> step.a["z"]`, `step.a["x"]#1 -> step.a["z"]#1`}},
		{"step.solo", "step.solo[0]", []string{`step.solo -> step.solo[0]`}},
		{`step.a["y"]`, "step.single", []string{`step.a["y"] -> step.single`}},
		{"step.a", "step.a[0]", nil}, // only keyless records move to an instance
		{"step.gone", "step.new", nil},
	} {
		var got []string
		for _, r := range MoveRecords(st, target(test.from), target(test.to)) {
			if r.Rec.Address == r.From || st.Steps[r.From].Address != r.From {
				t.Errorf("%s -> %s changed the state's record", test.from, test.to)
			}
			got = append(got, r.From+" -> "+r.Rec.Address)
		}
		if !slices.Equal(got, test.want) {
			t.Errorf("%s -> %s moved %q, want %q", test.from, test.to, got, test.want)
		}
	}
}
