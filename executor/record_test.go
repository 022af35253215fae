package executor

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptform/promptform/config"
	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/planner"
	"github.com/promptform/promptform/state"
)

// usageClient answers every request with the same usage; a model id in
// fail fails with a transient error instead.
type usageClient struct {
	fakeClient
	usage gateway.Usage
	fail  map[string]bool
}

func (c *usageClient) Chat(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	if c.fail[req.Model] {
		return nil, &gateway.APIError{StatusCode: 500, Message: "down"}
	}
	u := c.usage
	return &gateway.Response{
		Model:   req.Model,
		Choices: []gateway.Choice{{Message: gateway.Message{Role: "assistant", Content: gateway.TextContent("yes")}, FinishReason: "stop"}},
		Usage:   &u,
	}, nil
}

// cachedUsage is 1,000 input tokens (300 read from the prompt cache, 100
// written to it) and 200 output tokens.
var cachedUsage = gateway.Usage{InputTokens: 1000, OutputTokens: 200, TotalTokens: 1200,
	PromptTokensDetails: &gateway.PromptTokensDetails{CachedTokens: 300,
		CacheCreation: &gateway.CacheCreation{Ephemeral5mInputTokens: 60, Ephemeral1hInputTokens: 40}}}

// testCatalog prices "cat-1" at 1/5 per million tokens globally and
// 1.1/5.5 in the us tier.
func testCatalog() *planner.Catalog {
	return planner.NewCatalog([]gateway.Model{{ID: "cat-1",
		Pricing: []byte(`{"global":{"prompt":1,"completions":5},"us":{"prompt":1.1,"completions":5.5}}`)}}, false)
}

func TestRecordCost(t *testing.T) {
	t.Parallel()
	step := `
step "s" {
  model  = MODEL
  prompt = "go"
  postcondition {
    condition     = self.output == "yes"
    error_message = "no"
  }
}
`
	tests := map[string]struct {
		models  string
		ref     string // the step's model
		usage   gateway.Usage
		fail    map[string]bool
		offline bool
		post    string // the postcondition; "" passes
		want    *state.Cost
	}{
		"model price, cache tokens at theirs": {
			models: `model "m" {
  id    = "m1"
  price = { input = 2, output = 10, cache_read = 0.5, cache_write = 2.5 }
}`,
			ref: "model.m", usage: cachedUsage,
			// 600 plain input, 300 read, 100 written, 200 output
			want: &state.Cost{USD: (600*2 + 300*0.5 + 100*2.5 + 200*10) / 1e6,
				Price: state.Price{Input: 2, Output: 10, CacheRead: 0.5, CacheWrite: 2.5, Source: "model.m"}},
		},
		"the catalog's region tier": {
			models: `model "m" { id = "cat-1" }`, ref: "model.m",
			usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200},
			want:  &state.Cost{USD: (1000*1.1 + 200*5.5) / 1e6, Price: state.Price{Input: 1.1, Output: 5.5, Source: "catalog (us)"}},
		},
		"model_region global": {
			models: `model "m" {
  id     = "cat-1"
  params = { model_region = "global" }
}`,
			ref: "model.m", usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200},
			want: &state.Cost{USD: (1000*1 + 200*5) / 1e6, Price: state.Price{Input: 1, Output: 5, Source: "catalog (global)"}},
		},
		"the model block's price wins over the catalog": {
			models: `model "m" {
  id    = "cat-1"
  price = { input = 3, output = 15 }
}`,
			ref: "model.m", usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200},
			want: &state.Cost{USD: (1000*3 + 200*15) / 1e6, Price: state.Price{Input: 3, Output: 15, Source: "model.m"}},
		},
		"unpriced": {
			models: `model "m" { id = "elsewhere" }`, ref: "model.m",
			usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200},
		},
		"offline costs nothing": {
			models: `model "m" {
  id    = "m1"
  price = { input = 2, output = 10 }
}`,
			ref: "model.m", usage: cachedUsage, offline: true,
		},
		"the fallback that answered": {
			models: `model "a" { id = "cat-1" }
model "b" {
  id    = "b1"
  price = { input = 4, output = 8 }
}
fallback "f" {
  models = [model.a, model.b]
  mode   = "client"
}`,
			ref: "fallback.f", usage: gateway.Usage{InputTokens: 1000, OutputTokens: 200}, fail: map[string]bool{"cat-1": true},
			want: &state.Cost{USD: (1000*4 + 200*8) / 1e6, Price: state.Price{Input: 4, Output: 8, Source: "model.b"}},
		},
		"a failed postcondition was paid for": {
			models: `model "m" { id = "cat-1" }`, ref: "model.m",
			usage: gateway.Usage{InputTokens: 10, OutputTokens: 2}, post: "no",
			want: &state.Cost{USD: (10*1.1 + 2*5.5) / 1e6, Price: state.Price{Input: 1.1, Output: 5.5, Source: "catalog (us)"}},
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := test.models + strings.ReplaceAll(step, "MODEL", test.ref)
			if test.post != "" {
				src = strings.ReplaceAll(src, `"yes"`, `"`+test.post+`"`)
			}
			st := state.New()
			plan, path := setup(t, src, st)
			plan.Catalogs = map[*config.Gateway]*planner.Catalog{}
			for _, m := range plan.Models {
				plan.Catalogs[m.Gateway] = testCatalog()
			}
			c := &usageClient{usage: test.usage, fail: test.fail}
			res := Run(context.Background(), plan, Options{Parallelism: 1, Offline: test.offline,
				Client: func(*planner.Model) ChatClient { return c }, Store: storeWith(t, st, path)})
			if failed := res.Diagnostics.HasErrors(); failed != (test.post != "") {
				t.Fatalf("diagnostics: %s", res.Diagnostics.Error())
			}
			saved, err := state.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			rec := saved.Steps["step.s"]
			if rec == nil {
				t.Fatal("step.s is not recorded")
			}
			if diff := cmp.Diff(test.want, rec.Cost, cmp.Comparer(sameUSD)); diff != "" {
				t.Errorf("wrong cost (-want +got):\n%s", diff)
			}
		})
	}
}

// sameUSD compares amounts to a billionth of a cent: the sums may round
// differently.
func sameUSD(a, b float64) bool { return math.Abs(a-b) < 1e-11 }

func TestBilled(t *testing.T) {
	t.Parallel()
	asked := &planner.Model{Name: "m", ID: "primary"}
	tests := map[string]struct {
		sent       *gateway.Request
		answeredBy string
		wantID     string
		wantRegion string // "" for no params
	}{
		"the model asked, under another name": {
			sent: &gateway.Request{Model: "primary"}, answeredBy: "primary-2025", wantID: "primary",
		},
		"the request's region": {
			sent:       &gateway.Request{Model: "primary", Extra: map[string]json.RawMessage{"model_region": []byte(`"global"`)}},
			answeredBy: "primary", wantID: "primary", wantRegion: "global",
		},
		"a gateway fallback, with its own region": {
			sent: &gateway.Request{Model: "primary", Extra: map[string]json.RawMessage{"model_region": []byte(`"us"`)},
				Fallbacks: []gateway.Fallback{{Model: "backup", Extra: map[string]json.RawMessage{"model_region": []byte(`"global"`)}}}},
			answeredBy: "backup", wantID: "backup", wantRegion: "global",
		},
		"a gateway fallback, in the request's region": {
			sent: &gateway.Request{Model: "primary", Extra: map[string]json.RawMessage{"model_region": []byte(`"us"`)},
				Fallbacks: []gateway.Fallback{{Model: "backup"}}},
			answeredBy: "backup", wantID: "backup", wantRegion: "us",
		},
		"a region that is not a string": {
			sent:       &gateway.Request{Model: "primary", Extra: map[string]json.RawMessage{"model_region": []byte(`1`)}},
			answeredBy: "primary", wantID: "primary",
		},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ex := &exchange{asked: asked, sent: test.sent, resp: &gateway.Response{Model: test.answeredBy}}
			id, region := billed(ex)
			if id != test.wantID || region != test.wantRegion {
				t.Errorf("billed as %q in region %q, want %q in %q", id, region, test.wantID, test.wantRegion)
			}
		})
	}
}

func TestCostOfWithoutPlan(t *testing.T) {
	t.Parallel()
	ex := &exchange{asked: &planner.Model{ID: "m"}, usage: state.Usage{InputTokens: 5}}
	if got := costOf(nil, ex); got != nil {
		t.Errorf("cost without a plan = %+v, want nil", got)
	}
	if got := costOf(&planner.Plan{}, &exchange{}); got != nil {
		t.Errorf("cost without a model = %+v, want nil", got)
	}
}
