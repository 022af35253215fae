package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const precedenceSrc = `
variable "v" {
  type    = string
  default = "default"
}
`

// TestCollectVariablesPrecedence checks the precedence: default < PF_VAR_* <
// promptform.pfvars < *.auto.pfvars in name order < -var and -var-file in
// command-line order.
func TestCollectVariablesPrecedence(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		files   map[string]string
		environ []string
		args    func(dir string) []VarArg
		want    string
	}{
		"default": {
			want: "default",
		},
		"environment over default": {
			environ: []string{"PF_VAR_v=env", "OTHER=x"},
			want:    "env",
		},
		"environment of another name ignored": {
			environ: []string{"PF_VAR_w=env", "v=plain"},
			want:    "default",
		},
		"promptform.pfvars over environment": {
			files:   map[string]string{VarsFile: `v = "pfvars"`},
			environ: []string{"PF_VAR_v=env"},
			want:    "pfvars",
		},
		"auto file over promptform.pfvars": {
			files:   map[string]string{VarsFile: `v = "pfvars"`, "z.auto.pfvars": `v = "auto-z"`},
			environ: []string{"PF_VAR_v=env"},
			want:    "auto-z",
		},
		"later auto file in name order wins": {
			files: map[string]string{"b.auto.pfvars": `v = "auto-b"`, "a.auto.pfvars": `v = "auto-a"`},
			want:  "auto-b",
		},
		"-var over auto files": {
			files: map[string]string{VarsFile: `v = "pfvars"`, "a.auto.pfvars": `v = "auto-a"`},
			args:  func(string) []VarArg { return []VarArg{{Name: "v", Value: "cli"}} },
			want:  "cli",
		},
		"-var-file after -var wins": {
			files: map[string]string{"extra.pfvars": `v = "var-file"`, "a.auto.pfvars": `v = "auto-a"`},
			args: func(dir string) []VarArg {
				return []VarArg{{Name: "v", Value: "cli"}, {File: filepath.Join(dir, "extra.pfvars")}}
			},
			want: "var-file",
		},
		"-var after -var-file wins": {
			files: map[string]string{"extra.pfvars": `v = "var-file"`},
			args: func(dir string) []VarArg {
				return []VarArg{{File: filepath.Join(dir, "extra.pfvars")}, {Name: "v", Value: "cli"}}
			},
			want: "cli",
		},
		"last of two -var wins": {
			args: func(string) []VarArg { return []VarArg{{Name: "v", Value: "one"}, {Name: "v", Value: "two"}} },
			want: "two",
		},
		"-var-file in JSON": {
			files: map[string]string{"extra.pfvars.json": `{"v": "json"}`},
			args:  func(dir string) []VarArg { return []VarArg{{File: filepath.Join(dir, "extra.pfvars.json")}} },
			want:  "json",
		},
		"files not named pfvars are not loaded": {
			files: map[string]string{"other.pfvars": `v = "other"`, "auto.pfvars.bak": `v = "bak"`},
			want:  "default",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"main.pf.hcl": precedenceSrc}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := writeDir(t, files)
			p, cfg := mustLoad(t, dir)
			var args []VarArg
			if tc.args != nil {
				args = tc.args(dir)
			}
			vals, diags := p.CollectVariables(cfg, args, tc.environ)
			if len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", diagsString(diags))
			}
			if got, want := vals["v"], cty.StringVal(tc.want); !got.RawEquals(want) {
				t.Errorf("wrong value\ngot:  %#v\nwant: %#v", got, want)
			}
		})
	}
}

// TestCollectVariablesCLIValues checks how -var and PF_VAR_* strings are
// read: literally for primitive types, as HCL for complex ones.
func TestCollectVariablesCLIValues(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		typ, value string
		want       cty.Value
		wantDiag   string // summary of the expected error, or ""
	}{
		"string taken literally": {
			typ: "string", value: `["a"]`, want: cty.StringVal(`["a"]`),
		},
		"string with quotes kept": {
			typ: "string", value: `"quoted"`, want: cty.StringVal(`"quoted"`),
		},
		"number": {
			typ: "number", value: "42", want: cty.NumberIntVal(42),
		},
		"bool": {
			typ: "bool", value: "true", want: cty.True,
		},
		"list parsed as HCL": {
			typ: "list(string)", value: `["a", "b"]`, want: cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		},
		"map parsed as HCL": {
			typ: "map(number)", value: `{ a = 1, b = 2 }`, want: cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)}),
		},
		"object parsed as HCL": {
			typ: "object({ name = string })", value: `{ name = "Ada" }`, want: cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("Ada")}),
		},
		"untyped word is a string": {
			typ: "", value: "hello", want: cty.StringVal("hello"),
		},
		"untyped words are a string": {
			typ: "", value: "hello world", want: cty.StringVal("hello world"),
		},
		"untyped list is parsed": {
			typ: "", value: `["a"]`, want: cty.TupleVal([]cty.Value{cty.StringVal("a")}),
		},
		"number that is not one": {
			typ: "number", value: "many", want: cty.UnknownVal(cty.Number), wantDiag: "Invalid value for variable",
		},
		"list that does not parse": {
			typ: "list(string)", value: `["a"`, want: cty.UnknownVal(cty.List(cty.String)), wantDiag: "Unterminated tuple constructor expression",
		},
		"list of the wrong type": {
			typ: "list(number)", value: `["a"]`, want: cty.UnknownVal(cty.List(cty.Number)), wantDiag: "Invalid value for variable",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := `variable "v" {}`
			if tc.typ != "" {
				src = "variable \"v\" {\n  type = " + tc.typ + "\n}\n"
			}
			for _, via := range []string{"-var", "environment"} {
				p, cfg := mustLoad(t, writeDir(t, map[string]string{"main.pf.hcl": src}))
				var vals map[string]cty.Value
				var diags hcl.Diagnostics
				if via == "-var" {
					vals, diags = p.CollectVariables(cfg, []VarArg{{Name: "v", Value: tc.value}}, nil)
				} else {
					vals, diags = p.CollectVariables(cfg, nil, []string{"PF_VAR_v=" + tc.value})
				}
				checkOneDiag(t, via, diags, tc.wantDiag, hcl.DiagError)
				if got := vals["v"]; !got.RawEquals(tc.want) {
					t.Errorf("%s: wrong value\ngot:  %#v\nwant: %#v", via, got, tc.want)
				}
			}
		})
	}
}

// checkOneDiag checks that diags is empty (want == "") or holds exactly one
// diagnostic with the given summary and severity.
func checkOneDiag(t *testing.T, what string, diags hcl.Diagnostics, want string, sev hcl.DiagnosticSeverity) {
	t.Helper()
	switch {
	case want == "" && len(diags) > 0:
		t.Errorf("%s: unexpected diagnostics:\n%s", what, diagsString(diags))
	case want != "" && (len(diags) != 1 || diags[0].Summary != want || diags[0].Severity != sev):
		t.Errorf("%s: wrong diagnostics\ngot:  %s\nwant: one %q", what, diagsString(diags), want)
	}
}

func TestCollectVariablesDiagnostics(t *testing.T) {
	t.Parallel()
	const src = `
variable "topic" {
  type = string
}

variable "count_of" {
  type    = number
  default = 3

  validation {
    condition     = var.count_of > 0 && var.count_of < 10
    error_message = "count_of must be between 1 and 9, not ${var.count_of}."
  }
}
`
	tests := map[string]struct {
		files      map[string]string
		args       []VarArg
		wantSev    hcl.DiagnosticSeverity
		wantSum    string
		wantDetail string
		wantFile   string // file name the diagnostic's Subject starts in, or "" for none
	}{
		"undeclared in promptform.pfvars is a warning": {
			files:      map[string]string{VarsFile: "topic = \"x\"\ntopik = \"y\"\n"},
			wantSev:    hcl.DiagWarning,
			wantSum:    "Value for undeclared variable",
			wantDetail: `Did you mean "topic"?`,
			wantFile:   VarsFile,
		},
		"undeclared in an auto file is a warning": {
			files:      map[string]string{"a.auto.pfvars": "topic = \"x\"\nunrelated_name = 1\n"},
			wantSev:    hcl.DiagWarning,
			wantSum:    "Value for undeclared variable",
			wantDetail: `Declare it with variable "unrelated_name"`,
			wantFile:   "a.auto.pfvars",
		},
		"undeclared in -var is an error": {
			args:       []VarArg{{Name: "topic", Value: "x"}, {Name: "topik", Value: "y"}},
			wantSev:    hcl.DiagError,
			wantSum:    "Value for undeclared variable",
			wantDetail: `Did you mean "topic"?`,
		},
		"required variable without a value": {
			wantSev:    hcl.DiagError,
			wantSum:    "No value for required variable",
			wantDetail: `-var topic=VALUE`,
			wantFile:   "main.pf.hcl",
		},
		"validation failure gives the error message": {
			args:       []VarArg{{Name: "topic", Value: "x"}, {Name: "count_of", Value: "12"}},
			wantSev:    hcl.DiagError,
			wantSum:    "Invalid value for variable",
			wantDetail: "count_of must be between 1 and 9, not 12.",
			wantFile:   "main.pf.hcl",
		},
		"invalid value from a file points at it": {
			files:      map[string]string{VarsFile: "topic = \"x\"\ncount_of = \"lots\"\n"},
			wantSev:    hcl.DiagError,
			wantSum:    "Invalid value for variable",
			wantDetail: VarsFile,
			wantFile:   VarsFile,
		},
		"missing -var-file": {
			args:       []VarArg{{Name: "topic", Value: "x"}, {File: "does-not-exist.pfvars"}},
			wantSev:    hcl.DiagError,
			wantSum:    "Cannot read variable file",
			wantDetail: "does-not-exist.pfvars",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"main.pf.hcl": src}
			for k, v := range tc.files {
				files[k] = v
			}
			p, cfg := mustLoad(t, writeDir(t, files))
			_, diags := p.CollectVariables(cfg, tc.args, nil)
			if len(diags) != 1 {
				t.Fatalf("wrong number of diagnostics\ngot:  %s\nwant: one %q", diagsString(diags), tc.wantSum)
			}
			d := diags[0]
			if d.Severity != tc.wantSev || d.Summary != tc.wantSum {
				t.Errorf("wrong diagnostic\ngot:  %s\nwant: %q of severity %v", diagsString(diags), tc.wantSum, tc.wantSev)
			}
			if !strings.Contains(d.Detail, tc.wantDetail) {
				t.Errorf("wrong detail\ngot:  %s\nwant: containing %q", d.Detail, tc.wantDetail)
			}
			gotFile := ""
			if d.Subject != nil {
				gotFile = filepath.Base(d.Subject.Filename)
			}
			if gotFile != tc.wantFile {
				t.Errorf("wrong subject file\ngot:  %q\nwant: %q", gotFile, tc.wantFile)
			}
		})
	}
}

func TestCollectVariablesValidationPasses(t *testing.T) {
	t.Parallel()
	p, cfg := mustLoad(t, writeDir(t, map[string]string{"main.pf.hcl": `
variable "n" {
  type    = number
  default = 5
  validation {
    condition     = var.n > 0
    error_message = "n must be positive"
  }
}
`}))
	vals, diags := p.CollectVariables(cfg, []VarArg{{Name: "n", Value: "7"}}, nil)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%s", diagsString(diags))
	}
	if got, want := vals["n"], cty.NumberIntVal(7); !got.RawEquals(want) {
		t.Errorf("wrong value\ngot:  %#v\nwant: %#v", got, want)
	}
}
