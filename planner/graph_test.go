package planner

import (
	"slices"
	"strings"
	"testing"
)

const modelSrc = `
model "fast" {
  id = "claude-haiku-4-5-20251001"
}
`

func TestBuildGraph(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src       string
		wantEdges []string
		wantOrder []string
	}{
		"independent steps in address order": {
			src: modelSrc + `
step "c" {
  model  = model.fast
  prompt = "c"
}
step "a" {
  model  = model.fast
  prompt = "a"
}
step "b" {
  model  = model.fast
  prompt = "b"
}
`,
			wantOrder: []string{"step.a", "step.b", "step.c"},
		},
		"fan-out and join": {
			src: modelSrc + `
step "outline" {
  model  = model.fast
  prompt = "outline"
}
step "zeta" {
  model  = model.fast
  prompt = "z ${step.outline.output}"
}
step "alpha" {
  model  = model.fast
  prompt = "a ${step.outline.result}"
}
step "join" {
  model  = model.fast
  prompt = "${step.alpha.output} ${step.zeta.output} ${step.alpha.model}"
}
output "article" {
  value = step.join.output
}
`,
			wantEdges: []string{
				"output.article -> step.join",
				"step.alpha -> step.outline",
				"step.join -> step.alpha",
				"step.join -> step.zeta",
				"step.zeta -> step.outline",
			},
			wantOrder: []string{"step.outline", "step.alpha", "step.zeta", "step.join", "output.article"},
		},
		"locals, variables and depends_on": {
			src: modelSrc + `
variable "topic" {
  default = "x"
}
locals {
  topic   = upper(var.topic)
  summary = "${local.topic}: ${step.b.output}"
}
step "b" {
  model      = model.fast
  prompt     = "About ${local.topic}"
  depends_on = [step.a]
}
step "a" {
  model       = model.fast
  prompt      = "first"
  temperature = length(var.topic)
}
output "s" {
  value = local.summary
}
`,
			wantEdges: []string{
				"local.summary -> local.topic",
				"local.summary -> step.b",
				"output.s -> local.summary",
				"step.b -> local.topic",
				"step.b -> step.a",
			},
			wantOrder: []string{"local.topic", "step.a", "step.b", "local.summary", "output.s"},
		},
		"instance references are edges to the step": {
			src: modelSrc + `
step "each" {
  for_each = toset(["x", "y"])
  model    = model.fast
  prompt   = each.key
}
step "counted" {
  count  = 2
  model  = model.fast
  prompt = "n ${count.index}"
}
step "use" {
  model  = model.fast
  prompt = "${step.each["x"].output} ${step.counted[1].output}"
  params = { tags = [for k, e in step.each : k] }
}
`,
			wantEdges: []string{"step.use -> step.counted", "step.use -> step.each"},
			wantOrder: []string{"step.counted", "step.each", "step.use"},
		},
		"message blocks carry references": {
			src: modelSrc + `
step "a" {
  model  = model.fast
  prompt = "a"
}
step "b" {
  model = model.fast
  message {
    role    = "user"
    content = step.a.output
  }
}
`,
			wantEdges: []string{"step.b -> step.a"},
			wantOrder: []string{"step.a", "step.b"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, diags := BuildGraph(loadSrc(t, tc.src, nil), nil)
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
			}
			if got, want := g.String(), strings.Join(tc.wantEdges, "\n"); got != want {
				t.Errorf("wrong edges\ngot:  %s\nwant: %s", got, want)
			}
			if !slices.Equal(g.Order, tc.wantOrder) {
				t.Errorf("wrong order\ngot:  %q\nwant: %q", g.Order, tc.wantOrder)
			}
			var steps []string
			for _, n := range g.Steps() {
				steps = append(steps, n.Addr)
			}
			var wantSteps []string
			for _, a := range tc.wantOrder {
				if strings.HasPrefix(a, "step.") {
					wantSteps = append(wantSteps, a)
				}
			}
			if !slices.Equal(steps, wantSteps) {
				t.Errorf("wrong steps\ngot:  %q\nwant: %q", steps, wantSteps)
			}
		})
	}
}

// TestBuildGraphOrderIsStable builds one graph many times: map iteration
// order must never reach the result.
func TestBuildGraphOrderIsStable(t *testing.T) {
	t.Parallel()
	cfg := loadSrc(t, modelSrc+`
step "e" {
  model = model.fast
  prompt = "e"
}
step "d" {
  model = model.fast
  prompt = "d"
}
step "c" {
  model = model.fast
  prompt = "${step.e.output}${step.d.output}"
}
step "b" {
  model = model.fast
  prompt = "b"
}
step "a" {
  model = model.fast
  prompt = "${step.c.output}"
}
`, nil)
	want := []string{"step.b", "step.d", "step.e", "step.c", "step.a"}
	for range 50 {
		g, diags := BuildGraph(cfg, nil)
		if len(diags) > 0 {
			t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
		}
		if !slices.Equal(g.Order, want) {
			t.Fatalf("wrong order\ngot:  %q\nwant: %q", g.Order, want)
		}
	}
}

func TestBuildGraphCycles(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src         string
		wantCycles  []string // the "a → b → a" part of each detail, in order
		wantSubject []int    // the line each diagnostic's subject starts on
	}{
		"two steps": {
			src: modelSrc + `
step "b" {
  model  = model.fast
  prompt = step.a.output
}
step "a" {
  model  = model.fast
  prompt = step.b.output
}
`,
			wantCycles:  []string{"step.a → step.b → step.a"},
			wantSubject: []int{8},
		},
		"three steps start at the smallest": {
			src: modelSrc + `
step "c" {
  model  = model.fast
  prompt = step.a.output
}
step "b" {
  model  = model.fast
  prompt = step.c.output
}
step "a" {
  model      = model.fast
  prompt     = "a"
  depends_on = [step.b]
}
`,
			wantCycles:  []string{"step.a → step.b → step.c → step.a"},
			wantSubject: []int{8},
		},
		"through a local": {
			src: modelSrc + `
locals {
  x = step.a.output
}
step "a" {
  model  = model.fast
  prompt = local.x
}
`,
			wantCycles:  []string{"local.x → step.a → local.x"},
			wantSubject: []int{11},
		},
		"one component, two cycles through the first step": {
			src: modelSrc + `
step "a" {
  model  = model.fast
  prompt = "${step.b.output} ${step.c.output}"
}
step "b" {
  model  = model.fast
  prompt = step.a.output
}
step "c" {
  model  = model.fast
  prompt = step.a.output
}
`,
			wantCycles:  []string{"step.a → step.b → step.a\nCaught in cycles with them: step.c."},
			wantSubject: []int{12},
		},
		"one component, a second cycle away from the first step": {
			src: modelSrc + `
step "a" {
  model  = model.fast
  prompt = step.b.output
}
step "b" {
  model  = model.fast
  prompt = "${step.a.output} ${step.c.output}"
}
step "c" {
  model  = model.fast
  prompt = step.b.output
}
`,
			wantCycles:  []string{"step.a → step.b → step.a\nCaught in cycles with them: step.c."},
			wantSubject: []int{12},
		},
		"two separate cycles": {
			src: modelSrc + `
step "d" {
  model  = model.fast
  prompt = step.c.output
}
step "c" {
  model  = model.fast
  prompt = step.d.output
}
step "b" {
  model  = model.fast
  prompt = step.a.output
}
step "a" {
  model  = model.fast
  prompt = step.b.output
}
step "free" {
  model  = model.fast
  prompt = step.a.output
}
`,
			wantCycles:  []string{"step.a → step.b → step.a", "step.c → step.d → step.c"},
			wantSubject: []int{16, 8},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, diags := BuildGraph(loadSrc(t, tc.src, nil), nil)
			if len(diags) != len(tc.wantCycles) {
				t.Fatalf("wrong number of diagnostics\ngot:  %s\nwant: %d cycles", diagsText(diags), len(tc.wantCycles))
			}
			for i, d := range diags {
				if d.Summary != "Dependency cycle" {
					t.Errorf("wrong summary\ngot:  %s\nwant: Dependency cycle", d.Summary)
				}
				if !strings.Contains(d.Detail, tc.wantCycles[i]) {
					t.Errorf("wrong detail\ngot:  %s\nwant: containing %q", d.Detail, tc.wantCycles[i])
				}
				if d.Subject == nil || d.Subject.Start.Line != tc.wantSubject[i] {
					t.Errorf("wrong subject\ngot:  %v\nwant: line %d", d.Subject, tc.wantSubject[i])
				}
			}
		})
	}
}

func TestBuildGraphReferenceErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src        string
		wantDetail string
	}{
		"undeclared step in depends_on": {
			src:        "prompt = \"b\"\n  depends_on = [step.aa]",
			wantDetail: `No step named "aa" is declared. Did you mean "a"?`,
		},
		"misspelt step attribute": {
			src:        `prompt = step.a.outptu`,
			wantDetail: `A step has no attribute named "outptu". Did you mean "output"?`,
		},
		"unrelated step attribute": {
			src:        `prompt = step.a.text_of_it`,
			wantDetail: "Its attributes are output, result, tool_calls, model, finish_reason, usage, request_id, asserts, samples.",
		},
		"misspelt step": {
			src:        `prompt = step.aa.output`,
			wantDetail: `No step named "aa" is declared. Did you mean "a"?`,
		},
		"misspelt variable": {
			src:        `prompt = var.topc`,
			wantDetail: `No input variable named "topc" is declared. Did you mean "topic"?`,
		},
		"misspelt local": {
			src:        `prompt = local.audiense`,
			wantDetail: `No local value named "audiense" is declared. Did you mean "audience"?`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := modelSrc + `
variable "topic" {
  default = "x"
}
locals {
  audience = "y"
}
step "a" {
  model  = model.fast
  prompt = "a"
}
step "b" {
  model = model.fast
  ` + tc.src + `
}
`
			_, diags := BuildGraph(loadSrc(t, src, nil), nil)
			if len(diags) != 1 || diags[0].Summary == "" || !strings.Contains(diags[0].Detail, tc.wantDetail) {
				t.Errorf("wrong diagnostics\ngot:  %s\nwant: one with detail %q", diagsText(diags), tc.wantDetail)
			}
		})
	}
}
