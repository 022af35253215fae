package planner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// keys120 is a for_each expression of 120 keys, k000 to k119.
const keys120 = `toset([for i in range(120) : format("k%03d", i)])`

func TestRepeatedInstanceErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		step  string
		files map[string]string
		want  []string // per diagnostic: "summary | a substring of the detail"
	}{
		"the same error in every instance": {
			step: "for_each = " + keys120 + "\nprompt = each.value.missing",
			want: []string{"Unsupported attribute | The same problem occurs in 119 more instances of step.a."},
		},
		"an error naming the instance key": {
			step: "for_each = " + keys120 + "\nprompt = file(\"${each.key}.txt\")",
			want: []string{"Error in function call | k000.txt"},
		},
		"an error naming the count index": {
			step: "count = 12\nprompt = file(\"in${count.index}.txt\")",
			want: []string{"Error in function call | in0.txt"},
		},
		"errors that differ beyond the key": {
			step: "for_each = toset([\"a\", \"b\", \"c\"])\nprompt = file(each.key == \"a\" ? \"one.txt\" : \"two.txt\")",
			want: []string{
				"Error in function call | one.txt",
				"Error in function call | two.txt",
			},
		},
		"an error in one instance only": {
			step:  "for_each = toset([\"a\", \"b\"])\nprompt = file(\"${each.key}.txt\")",
			files: map[string]string{"b.txt": "bee"},
			want:  []string{"Error in function call | a.txt"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := limitsModel + "step \"a\" {\nmodel = model.m\n" + tc.step + "\n}\n"
			_, diags := Build(loadSrc(t, src, tc.files), Options{})
			if len(diags) != len(tc.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(tc.want), diagsText(diags))
			}
			for i, w := range tc.want {
				summary, detail, _ := strings.Cut(w, " | ")
				if diags[i].Summary != summary || !strings.Contains(diags[i].Detail, detail) || diags[i].Subject == nil {
					t.Errorf("wrong diagnostic %d\ngot:  %s\nwant: %s", i, diagsText(diags[i:i+1]), w)
				}
			}
		})
	}
}

func TestRepeatedErrorsCounted(t *testing.T) {
	t.Parallel()
	src := limitsModel + "step \"a\" {\nmodel = model.m\nfor_each = " + keys120 + "\nprompt = file(\"${each.key}.txt\")\n}\n" +
		"step \"b\" {\nmodel = model.m\ncount = 2\nprompt = file(\"x${count.index}.txt\")\n}\n"
	_, diags := Build(loadSrc(t, src, nil), Options{})
	if len(diags) != 2 {
		t.Fatalf("got %d diagnostics, want 2:\n%s", len(diags), diagsText(diags))
	}
	for i, want := range []string{"119 more instances of step.a.", "1 more instance of step.b."} {
		if !strings.HasSuffix(diags[i].Detail, "The same problem occurs in "+want) {
			t.Errorf("diagnostic %d does not count the other instances:\n%s", i, diagsText(diags[i:i+1]))
		}
	}
}

func TestMergeRepeated(t *testing.T) {
	t.Parallel()
	rng := func(line int) *hcl.Range {
		return &hcl.Range{Filename: "main.pf.hcl", Start: hcl.Pos{Line: line, Column: 1, Byte: line * 10}, End: hcl.Pos{Line: line, Column: 5, Byte: line*10 + 4}}
	}
	diag := func(sev hcl.DiagnosticSeverity, summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: sev, Summary: summary, Detail: detail, Subject: subject}
	}
	diags := hcl.Diagnostics{
		diag(hcl.DiagError, "Bad", "Model used by step.a[\"x\"] is wrong.", rng(1)),
		diag(hcl.DiagError, "Bad", "Model used by step.a[\"y\"] is wrong.", rng(1)),
		diag(hcl.DiagWarning, "Bad", "Model used by step.a[\"z\"] is wrong.", rng(1)),
		diag(hcl.DiagError, "Bad", "Model used by step.a[\"z\"] is wrong.", rng(2)),
		diag(hcl.DiagError, "Other", "Same text.", nil),
		diag(hcl.DiagError, "Other", "Same text.", nil),
		diag(hcl.DiagError, "Bad", "Model used by step.a[3] is wrong.", rng(1)),
		diag(hcl.DiagError, "Unknown", "-target=step.a[\"p\"] names no instance.", nil),
		diag(hcl.DiagError, "Unknown", "-target=step.a[\"q\"] names no instance.", nil),
	}
	got := mergeRepeated(diags)
	want := []string{
		"error Bad: Model used by step.a[\"x\"] is wrong. The same problem occurs in 2 more instances.",
		"warning Bad: Model used by step.a[\"z\"] is wrong.",
		"error Bad: Model used by step.a[\"z\"] is wrong.",
		"error Other: Same text. The same problem occurs 1 more time.",
		"error Unknown: -target=step.a[\"p\"] names no instance.",
		"error Unknown: -target=step.a[\"q\"] names no instance.",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(want), diagsText(got))
	}
	for i, d := range got {
		sev := map[hcl.DiagnosticSeverity]string{hcl.DiagError: "error", hcl.DiagWarning: "warning"}[d.Severity]
		if line := fmt.Sprintf("%s %s: %s", sev, d.Summary, d.Detail); line != want[i] {
			t.Errorf("wrong diagnostic %d\ngot:  %s\nwant: %s", i, line, want[i])
		}
	}
	if diags[0].Detail != "Model used by step.a[\"x\"] is wrong." {
		t.Errorf("mergeRepeated changed its input: %q", diags[0].Detail)
	}
}

func TestReplaceKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ s, key, want string }{
		{"no file at in3.txt", "3", "no file at in\x00.txt"},
		{"line 13, index 3", "3", "line 13, index \x00"},
		{"/tmp/x2940/in4.txt", "4", "/tmp/x2940/in\x00.txt"},
		{"translate into fr from fr", "fr", "translate into \x00 from \x00"},
		{"a-a-a", "a-a", "\x00-a"},
		{"key k1 and k10", "k1", "key \x00 and k10"},
		{"é and éé", "é", "\x00 and éé"},
		{"nothing here", "", "nothing here"},
		{"-", "-", "\x00"},
	}
	for _, tc := range tests {
		if got := replaceKey(tc.s, tc.key); got != tc.want {
			t.Errorf("replaceKey(%q, %q)\ngot:  %q\nwant: %q", tc.s, tc.key, got, tc.want)
		}
	}
}
