package psqltest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/server"
	"github.com/weirdb/weir/sqltests/pgoracle"
)

var flagOracle = flag.String("oracle", "",
	`run against PostgreSQL instead of weir: a URL, or "auto" to start a private server; `+
		`with -rewrite this regenerates the golden files`)

// TestDescribe runs each testdata file: `sql` directives run DDL through
// psql (their output is not compared), `psql` directives run one psql
// meta-command and compare its whole output, headers, alignment, footers
// and row counts included, with what PostgreSQL 15 prints.
//
// The expected outputs come from PostgreSQL:
//
//	go test ./sqltests/psqltest -oracle auto -rewrite
//
// Normalisation: none. The describe commands tested name no OIDs, sizes,
// database names or owners that could differ (the role is "weir" on both
// servers); commands whose output cannot match (\l lists PostgreSQL's
// template databases, \dt+ shows storage sizes) are not in the files.
func TestDescribe(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		if os.Getenv(pgoracle.EnvRequire) != "" {
			t.Fatal("psql not found")
		}
		t.Skip("psql (postgresql-client) not found")
	}
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		url := startTarget(t)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "sql":
				out, err := runPsql(url, d.Input, "-v", "ON_ERROR_STOP=1", "-q")
				if err != nil {
					d.Fatalf(t, "%v\n%s", err, out)
				}
				return ""
			case "psql":
				out, _ := runPsql(url, d.Input)
				return out
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

// runPsql runs psql -X (no psqlrc) on script and returns its stdout and
// stderr interleaved as a terminal shows them.
func runPsql(url, script string, extra ...string) (string, error) {
	args := append([]string{"-X", "-P", "pager=off"}, extra...)
	args = append(args, url)
	cmd := exec.Command("psql", args...)
	cmd.Stdin = strings.NewReader(script + "\n")
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC", "PGCLIENTENCODING=UTF8", "COLUMNS=200")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// startTarget returns the URL of a fresh weir server (or, with -oracle,
// of PostgreSQL) for one file.
func startTarget(t *testing.T) string {
	switch *flagOracle {
	case "":
	case "auto":
		return pgoracle.Start(t)
	default:
		return *flagOracle
	}
	srv, err := server.New(server.Config{
		DataDir:         t.TempDir(),
		Listen:          "127.0.0.1:0",
		HTTP:            "off",
		TriggerInterval: 100 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version:         "psqltest",
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", ln.Addr())
}
