package config

import (
	"slices"
	"testing"
	"time"
)

func TestGateways(t *testing.T) {
	t.Parallel()
	const model = `
model "m" {
  id = "x"
}
`
	tests := map[string]struct {
		src      string
		gateway  string // the name of the gateway model m uses, "" for the default
		wantURL  string
		wantAuth string
		wantEnv  string
		wantTime time.Duration
		wantRetr int
	}{
		"no gateway block": {
			src:     model,
			wantURL: DefaultGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"empty gateway block": {
			src:     model + "gateway {}\n",
			wantURL: DefaultGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"region eu": {
			src:     model + "gateway {\n  region = \"eu\"\n}\n",
			wantURL: EUGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"region us": {
			src:     model + "gateway {\n  region = \"us\"\n}\n",
			wantURL: DefaultGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"other url defaults to bearer": {
			src:     model + "gateway {\n  url = \"http://localhost:8000/v1\"\n}\n",
			wantURL: "http://localhost:8000/v1", wantAuth: "bearer", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"assemblyai url keeps raw": {
			src:     model + "gateway {\n  url = \"https://llm-gateway.eu.assemblyai.com/v1\"\n}\n",
			wantURL: EUGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"look-alike host is not assemblyai": {
			src:     model + "gateway {\n  url = \"https://evilassemblyai.com.example/v1\"\n}\n",
			wantURL: "https://evilassemblyai.com.example/v1", wantAuth: "bearer", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"explicit auth over the default": {
			src:     model + "gateway {\n  url  = \"http://localhost:8000/v1\"\n  auth = \"raw\"\n}\n",
			wantURL: "http://localhost:8000/v1", wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
		"timeout, retries and key env": {
			src:     model + "gateway {\n  timeout     = \"1m30s\"\n  max_retries = 0\n  api_key_env = \"MY_KEY\"\n}\n",
			wantURL: DefaultGatewayURL, wantAuth: "raw", wantEnv: "MY_KEY", wantTime: 90 * time.Second, wantRetr: 0,
		},
		"labelled gateway picked by a model": {
			src: `
gateway {
  region = "eu"
}

gateway "local" {
  url     = "http://127.0.0.1:11434/v1"
  timeout = "5s"
}

model "m" {
  id      = "llama3"
  gateway = gateway.local
}
`,
			gateway: "local",
			wantURL: "http://127.0.0.1:11434/v1", wantAuth: "bearer", wantEnv: DefaultAPIKeyEnv, wantTime: 5 * time.Second, wantRetr: DefaultMaxRetries,
		},
		"model without gateway uses the default beside labelled ones": {
			src: model + `
gateway "local" {
  url = "http://127.0.0.1:11434/v1"
}
`,
			wantURL: DefaultGatewayURL, wantAuth: "raw", wantEnv: DefaultAPIKeyEnv, wantTime: DefaultTimeout, wantRetr: DefaultMaxRetries,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, cfg := mustLoad(t, writeDir(t, map[string]string{"main.pf.hcl": tc.src}))
			g := cfg.Gateway(cfg.Models["m"])
			if g.Name != tc.gateway {
				t.Errorf("wrong gateway\ngot:  %q\nwant: %q", g.Name, tc.gateway)
			}
			if g.URL != tc.wantURL {
				t.Errorf("wrong URL\ngot:  %s\nwant: %s", g.URL, tc.wantURL)
			}
			if g.Auth != tc.wantAuth {
				t.Errorf("wrong auth\ngot:  %s\nwant: %s", g.Auth, tc.wantAuth)
			}
			if g.APIKeyEnv != tc.wantEnv {
				t.Errorf("wrong api_key_env\ngot:  %s\nwant: %s", g.APIKeyEnv, tc.wantEnv)
			}
			if g.Timeout != tc.wantTime {
				t.Errorf("wrong timeout\ngot:  %s\nwant: %s", g.Timeout, tc.wantTime)
			}
			if g.MaxRetries != tc.wantRetr {
				t.Errorf("wrong max_retries\ngot:  %d\nwant: %d", g.MaxRetries, tc.wantRetr)
			}
		})
	}
}

func TestGatewayErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want []string
	}{
		"zero timeout":      {src: `gateway { timeout = "0s" }`, want: []string{"Invalid duration"}},
		"timeout as number": {src: `gateway { timeout = 30 }`, want: []string{"Invalid value"}},
		"negative retries":  {src: `gateway { max_retries = -1 }`, want: []string{"Invalid max_retries"}},
		"url without scheme": {
			src:  `gateway { url = "localhost:8000" }`,
			want: []string{"Invalid gateway URL"},
		},
		"two default gateways": {
			src:  "gateway {}\ngateway {}\n",
			want: []string{"Duplicate gateway"},
		},
		"two labelled gateways of one name": {
			src:  "gateway \"a\" {}\ngateway \"a\" {}\n",
			want: []string{"Duplicate gateway"},
		},
		"two labels": {
			src:  `gateway "a" "b" {}`,
			want: []string{"Extraneous label for gateway"},
		},
		"unknown attribute": {
			src:  `gateway { key = "secret" }`,
			want: []string{"Unsupported argument"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, diags := NewParser().LoadDir(writeDir(t, map[string]string{"main.pf.hcl": tc.src}))
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("wrong diagnostics\ngot:  %q\nwant: %q", got, tc.want)
			}
		})
	}
}
