package planner

import (
	"strings"
	"testing"
)

const graphvizSrc = modelSrc + `
locals {
  tone = "calm"
}
step "outline" {
  model  = model.fast
  prompt = "Outline, ${local.tone}."
}
step "intro" {
  model  = model.fast
  prompt = "Intro for ${step.outline.output}"
}
step "body" {
  model    = model.fast
  for_each = toset(["a", "b"])
  prompt   = "Part ${each.key} of ${step.outline.output}"
}
output "article" {
  value = "${step.intro.output} ${step.body["a"].output}"
}
check "calm" {
  assert {
    condition     = !strcontains(step.intro.output, "!!!")
    error_message = "Too excited."
  }
}
`

func TestGraphRenderings(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src    string
		render func(*Graph) string
		want   string
	}{
		"dot": {
			src:    graphvizSrc,
			render: (*Graph).DOT,
			want: `digraph promptform {
  rankdir = "LR";
  node [fontname = "Helvetica"];

  "check.calm" [label = "check.calm", shape = "hexagon", style = "filled", fillcolor = "#fde8e8"];
  "local.tone" [label = "local.tone", shape = "ellipse", style = "dashed"];
  "output.article" [label = "output.article", shape = "note", style = "filled", fillcolor = "#e6f4ea"];
  "step.body" [label = "step.body", shape = "box", style = "rounded,filled", fillcolor = "#fff7d6"];
  "step.intro" [label = "step.intro", shape = "box", style = "rounded,filled", fillcolor = "#fff7d6"];
  "step.outline" [label = "step.outline", shape = "box", style = "rounded,filled", fillcolor = "#fff7d6"];

  "local.tone" -> "step.outline";
  "step.body" -> "output.article";
  "step.intro" -> "check.calm";
  "step.intro" -> "output.article";
  "step.outline" -> "step.body";
  "step.outline" -> "step.intro";
}
`,
		},
		"mermaid": {
			src:    graphvizSrc,
			render: (*Graph).Mermaid,
			want: `flowchart LR
  check_calm{{"check.calm"}}:::check
  local_tone(["local.tone"]):::local
  output_article[/"output.article"/]:::output
  step_body["step.body"]:::step
  step_intro["step.intro"]:::step
  step_outline["step.outline"]:::step
  local_tone --> step_outline
  step_body --> output_article
  step_intro --> check_calm
  step_intro --> output_article
  step_outline --> step_body
  step_outline --> step_intro
  classDef step fill:#fff7d6,stroke:#b08800
  classDef local fill:#ffffff,stroke:#6a737d,stroke-dasharray:4 3
  classDef output fill:#e6f4ea,stroke:#2da44e
  classDef check fill:#fde8e8,stroke:#cf222e
  classDef var fill:#eef2ff,stroke:#4f46e5
`,
		},
		"dot of a lone step": {
			src: modelSrc + `
step "only" {
  model  = model.fast
  prompt = "hi"
}
`,
			render: (*Graph).DOT,
			want: `digraph promptform {
  rankdir = "LR";
  node [fontname = "Helvetica"];

  "step.only" [label = "step.only", shape = "box", style = "rounded,filled", fillcolor = "#fff7d6"];
}
`,
		},
		"mermaid ids of dashed names stay distinct": {
			src: modelSrc + `
step "a-b" {
  model  = model.fast
  prompt = "x"
}
step "a_b" {
  model  = model.fast
  prompt = "${step.a-b.output}"
}
`,
			render: (*Graph).Mermaid,
			want: `flowchart LR
  step_a_b["step.a-b"]:::step
  step_a_b_2["step.a_b"]:::step
  step_a_b --> step_a_b_2
` + strings.Join(prefixed("  ", mermaidStyles), "\n") + "\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g, diags := BuildGraph(loadSrc(t, tt.src, nil), nil)
			if diags.HasErrors() {
				t.Fatalf("unexpected diagnostics:\n%s", diagsText(diags))
			}
			got := tt.render(g)
			if got != tt.want {
				t.Errorf("wrong rendering\ngot:\n%s\nwant:\n%s", got, tt.want)
			}
			if again := tt.render(g); again != got {
				t.Errorf("rendering is not deterministic\nfirst:\n%s\nsecond:\n%s", got, again)
			}
		})
	}
}

func TestMermaidQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"plain":        {`step.a`, `"step.a"`},
		"quoted key":   {`step.a["k"]`, `"step.a[#quot;k#quot;]"`},
		"angle quotes": {`a<b>`, `"a#lt;b#gt;"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := mermaidQuote(tt.in); got != tt.want {
				t.Errorf("wrong label\ngot:  %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func prefixed(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}
