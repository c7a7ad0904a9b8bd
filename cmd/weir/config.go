package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/weirdb/weir/server"
)

// errHelp is returned when -h/--help was asked for (usage already printed).
var errHelp = flag.ErrHelp

// serveConfig is everything `weir serve` takes from flags and environment.
type serveConfig struct {
	server   server.Config
	users    string
	tlsCert  string
	tlsKey   string
	logLevel slog.Level
}

// newFlagSet returns a FlagSet that reports errors (and usage) on stderr
// and returns them instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("weir "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// envName is the environment variable for a flag: data-dir → WEIR_DATA_DIR.
func envName(flagName string) string {
	return "WEIR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseServe parses the serve flags. Each flag's default is taken from its
// WEIR_<FLAG> variable when set, so an explicit flag wins over the
// environment, which wins over the built-in default. Invalid values (from
// either source) are reported on stderr with the usage.
func parseServe(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var sc serveConfig
	var triggerInterval, logLevel string
	fs := newFlagSet("serve", stderr)
	str := func(p *string, name, def, help string) {
		if v := getenv(envName(name)); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, help+" (env "+envName(name)+")")
	}
	str(&sc.server.DataDir, "data-dir", "./weir-data", "directory holding weir's store")
	str(&sc.server.Listen, "listen", "127.0.0.1:5433", "pgwire address; port 0 picks a free port")
	str(&sc.server.HTTP, "http", "127.0.0.1:9433", `HTTP address for /metrics, /healthz, /readyz and the dashboard; "off" disables`)
	str(&triggerInterval, "trigger-interval", "1s", "default micro-batch interval of continuous queries")
	str(&sc.server.Auth, "auth", "trust", "client authentication: trust or scram")
	str(&sc.users, "users", "", "file of users and passwords for --auth scram")
	str(&sc.tlsCert, "tls-cert", "", "TLS certificate file (PEM); enables TLS with --tls-key")
	str(&sc.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	str(&logLevel, "log-level", "info", "log level: debug, info, warn or error")

	if err := fs.Parse(args); err != nil {
		return sc, err
	}
	bad := func(format string, a ...any) (serveConfig, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "weir serve: %v\n", err)
		fs.Usage()
		return sc, err
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	d, err := time.ParseDuration(triggerInterval)
	if err != nil || d <= 0 {
		return bad("invalid --trigger-interval %q: want a positive duration such as 500ms or 2s", triggerInterval)
	}
	sc.server.TriggerInterval = d
	if err := sc.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return bad("invalid --log-level %q: want debug, info, warn or error", logLevel)
	}
	switch sc.server.Auth {
	case "trust", "scram":
	default:
		return bad("invalid --auth %q: want trust or scram", sc.server.Auth)
	}
	if sc.server.Auth == "scram" && sc.users == "" {
		return bad("--auth scram needs --users")
	}
	if (sc.tlsCert == "") != (sc.tlsKey == "") {
		return bad("--tls-cert and --tls-key go together")
	}
	for name, v := range map[string]string{"data-dir": sc.server.DataDir, "listen": sc.server.Listen, "http": sc.server.HTTP} {
		if v == "" {
			return bad("--%s must not be empty", name)
		}
	}
	return sc, nil
}
