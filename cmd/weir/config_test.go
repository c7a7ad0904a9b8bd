package main

import (
	"bytes"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseServeDefaultsEnvAndFlags(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, sc serveConfig)
	}{
		{
			name: "defaults from SPEC",
			check: func(t *testing.T, sc serveConfig) {
				require.Equal(t, "./weir-data", sc.server.DataDir)
				require.Equal(t, "127.0.0.1:5433", sc.server.Listen)
				require.Equal(t, "127.0.0.1:9433", sc.server.HTTP)
				require.Equal(t, time.Second, sc.server.TriggerInterval)
				require.Equal(t, "trust", sc.server.Auth)
				require.Equal(t, slog.LevelInfo, sc.logLevel)
			},
		},
		{
			name: "environment replaces defaults",
			env: map[string]string{"WEIR_DATA_DIR": "/env/data", "WEIR_LISTEN": "0.0.0.0:6000",
				"WEIR_HTTP": "off", "WEIR_TRIGGER_INTERVAL": "250ms", "WEIR_LOG_LEVEL": "debug"},
			check: func(t *testing.T, sc serveConfig) {
				require.Equal(t, "/env/data", sc.server.DataDir)
				require.Equal(t, "0.0.0.0:6000", sc.server.Listen)
				require.Equal(t, "off", sc.server.HTTP)
				require.Equal(t, 250*time.Millisecond, sc.server.TriggerInterval)
				require.Equal(t, slog.LevelDebug, sc.logLevel)
			},
		},
		{
			name: "flags win over environment",
			args: []string{"--data-dir", "/flag/data", "-listen=127.0.0.1:0", "--trigger-interval", "2s", "--log-level", "warn"},
			env:  map[string]string{"WEIR_DATA_DIR": "/env/data", "WEIR_LISTEN": "0.0.0.0:6000", "WEIR_TRIGGER_INTERVAL": "250ms", "WEIR_LOG_LEVEL": "debug"},
			check: func(t *testing.T, sc serveConfig) {
				require.Equal(t, "/flag/data", sc.server.DataDir)
				require.Equal(t, "127.0.0.1:0", sc.server.Listen)
				require.Equal(t, 2*time.Second, sc.server.TriggerInterval)
				require.Equal(t, slog.LevelWarn, sc.logLevel)
			},
		},
		{
			name: "tls pair and scram users",
			args: []string{"--auth", "scram", "--users", "u.txt", "--tls-cert", "c.pem", "--tls-key", "k.pem"},
			check: func(t *testing.T, sc serveConfig) {
				require.Equal(t, "scram", sc.server.Auth)
				require.Equal(t, "u.txt", sc.users)
				require.Equal(t, "c.pem", sc.tlsCert)
				require.Equal(t, "k.pem", sc.tlsKey)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			sc, err := parseServe(tc.args, envFrom(tc.env), &stderr)
			require.NoError(t, err, stderr.String())
			tc.check(t, sc)
		})
	}
}

func TestParseServeErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{args: []string{"--bogus"}, want: "flag provided but not defined: -bogus"},
		{args: []string{"extra"}, want: `unexpected argument "extra"`},
		{args: []string{"--trigger-interval", "soon"}, want: `invalid --trigger-interval "soon"`},
		{args: []string{"--trigger-interval", "-1s"}, want: `invalid --trigger-interval "-1s"`},
		{env: map[string]string{"WEIR_TRIGGER_INTERVAL": "0s"}, want: `invalid --trigger-interval "0s"`},
		{args: []string{"--auth", "md5"}, want: `invalid --auth "md5"`},
		{args: []string{"--auth", "scram"}, want: "--auth scram needs --users"},
		{args: []string{"--tls-cert", "c.pem"}, want: "--tls-cert and --tls-key go together"},
		{args: []string{"--log-level", "loud"}, want: `invalid --log-level "loud"`},
		{args: []string{"--data-dir", ""}, want: "--data-dir must not be empty"},
	} {
		var stderr bytes.Buffer
		_, err := parseServe(tc.args, envFrom(tc.env), &stderr)
		require.Error(t, err, "%v", tc.args)
		require.Contains(t, stderr.String(), tc.want)
		require.Contains(t, stderr.String(), "Usage of weir serve", "usage is printed")
	}
}

func TestRunVersionAndUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run([]string{"version"}, envFrom(nil), &stdout, &stderr))
	require.Equal(t, "weir dev ("+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")\n", stdout.String())

	for _, args := range [][]string{nil, {"frobnicate"}, {"version", "extra"}, {"version", "--json"}, {"serve", "--nope"}} {
		stdout.Reset()
		stderr.Reset()
		require.Equal(t, exitUsage, run(args, envFrom(nil), &stdout, &stderr), "%v", args)
		require.Empty(t, stdout.String())
		require.True(t, strings.Contains(stderr.String(), "usage") || strings.Contains(stderr.String(), "Usage"), stderr.String())
	}

	stdout.Reset()
	require.Equal(t, exitOK, run([]string{"help"}, envFrom(nil), &stdout, &stderr))
	require.Contains(t, stdout.String(), "weir serve [--data-dir DIR]")
}
