package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestTemplateFileRecursion(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"self.tmpl":    "before ${templatefile(\"self.tmpl\", {})} after",
		"a.tmpl":       "A\n${templatefile(\"b.tmpl\", { n = 1 })}",
		"b.tmpl":       "B ${upper(templatefile(\"./a.tmpl\", {}))}",
		"twice.tmpl":   "${templatefile(\"leaf.tmpl\", {})}${templatefile(\"leaf.tmpl\", {})}",
		"leaf.tmpl":    "leaf",
		"sub/in.tmpl":  "${templatefile(\"sub/../sub/in.tmpl\", {})}",
		"deep/d0.tmpl": "${templatefile(\"deep/d1.tmpl\", {})}",
	}
	for i := 1; i < 40; i++ {
		files[fmt.Sprintf("deep/d%d.tmpl", i)] = fmt.Sprintf("${templatefile(\"deep/d%d.tmpl\", {})}", i+1)
	}
	files["deep/d40.tmpl"] = "bottom"
	dir := writeDir(t, files)
	tests := map[string]struct {
		src  string
		want []string // substrings of the error; none for success
	}{
		"a template that renders itself": {
			src:  `templatefile("self.tmpl", {})`,
			want: []string{"self.tmpl → self.tmpl", "self.tmpl:1,10-"},
		},
		"two templates that render each other": {
			src:  `templatefile("a.tmpl", {})`,
			want: []string{"a.tmpl → b.tmpl → a.tmpl", "a.tmpl:2,3-", "calls b.tmpl", "b.tmpl:1,11-", "calls a.tmpl"},
		},
		"the cycle starting from the second template": {
			src:  `templatefile("b.tmpl", {})`,
			want: []string{"b.tmpl → a.tmpl → b.tmpl"},
		},
		"a path spelt differently": {
			src:  `templatefile("sub/in.tmpl", {})`,
			want: []string{"sub/in.tmpl → sub/in.tmpl"},
		},
		"the same template twice, not nested": {src: `templatefile("twice.tmpl", {})`},
		"templates nested too deep": {
			src:  `templatefile("deep/d0.tmpl", {})`,
			want: []string{"nested more than 32 deep", "deep/d0.tmpl → deep/d1.tmpl"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, diags := evalFunc(t, dir, tc.src, nil)
			if len(tc.want) == 0 {
				if diags.HasErrors() {
					t.Fatalf("unexpected diagnostics:\n%s", diagsString(diags))
				}
				if got.AsString() != "leafleaf" {
					t.Errorf("wrong result\ngot:  %q\nwant: %q", got.AsString(), "leafleaf")
				}
				return
			}
			if !diags.HasErrors() {
				t.Fatalf("no error; want one containing %q", tc.want)
			}
			msg := diagsString(diags)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("wrong error\ngot:  %s\nwant: containing %q", msg, w)
				}
			}
			if strings.Count(msg, "Call to function") > 1 {
				t.Errorf("the error nests the inner calls' errors: %s", msg)
			}
		})
	}
}
