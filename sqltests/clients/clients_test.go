package clients

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
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/server"
	"github.com/weirdb/weir/sqltests/pgoracle"
)

var flagLog = flag.Bool("serverlog", false, "print weir's log")

// target is a server and database a client connects to: weir, or
// PostgreSQL as the oracle for what a client should see.
type target struct {
	Host string
	Port int
	DB   string
}

// startWeir starts an in-process weir on a loopback port over a temporary
// data directory, shut down (and checked to shut down cleanly) when the
// test ends.
func startWeir(t *testing.T) target {
	t.Helper()
	var out io.Writer = io.Discard
	if *flagLog {
		out = testWriter{t}
	}
	srv, err := server.New(server.Config{
		DataDir:         t.TempDir(),
		Listen:          "127.0.0.1:0",
		HTTP:            "off",
		TriggerInterval: 100 * time.Millisecond,
		Logger:          slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:         "clients-test",
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = srv.Close()
		require.NoError(t, err)
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
	addr := ln.Addr().(*net.TCPAddr)
	return target{Host: "127.0.0.1", Port: addr.Port, DB: "weir"}
}

// postgresDB makes a fresh database on the PostgreSQL server at base (a
// pgoracle URL, whose user weir is a superuser), dropped when t ends.
func postgresDB(t *testing.T, base string) target {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	name := fmt.Sprintf("clients_%d", dbSeq.Add(1))
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		require.NoError(t, err)
		_ = admin.Close(ctx)
	})
	cfg := admin.Config()
	return target{Host: cfg.Host, Port: int(cfg.Port), DB: name}
}

var dbSeq atomic.Int64

// PortString is the port as text, for command lines.
func (w target) PortString() string { return strconv.Itoa(w.Port) }

// URL is the target as a libpq URL.
func (w target) URL() string {
	return fmt.Sprintf("postgres://weir@%s:%d/%s?sslmode=disable", w.Host, w.Port, w.DB)
}

// eachTarget runs f against weir and, when PostgreSQL is installed,
// against PostgreSQL too, so every expectation is checked against the real
// thing. f gets a function making a fresh target (a new weir server, or a
// new database on one shared PostgreSQL server) for each of its cases.
// Without PostgreSQL the oracle half is skipped (or fails under
// WEIR_REQUIRE_POSTGRES).
func eachTarget(t *testing.T, f func(t *testing.T, fresh func(*testing.T) target)) {
	t.Run("weir", func(t *testing.T) { f(t, startWeir) })
	t.Run("postgres", func(t *testing.T) {
		if testing.Short() {
			t.Skip("short mode: no PostgreSQL oracle")
		}
		base := pgoracle.Start(t)
		f(t, func(t *testing.T) target { return postgresDB(t, base) })
	})
}

// needTool skips the test when a client is not installed and
// WEIR_REQUIRE_CLIENTS is unset; with it set, a missing client fails.
func needTool(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("WEIR_REQUIRE_CLIENTS") != "" {
		t.Fatalf("%s is not installed and WEIR_REQUIRE_CLIENTS is set (run .ci/run, or install it)", what)
	}
	t.Skipf("%s is not installed (set WEIR_REQUIRE_CLIENTS to make this a failure)", what)
}

// runResult is the outcome of running a client program.
type runResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// run runs a command with a deadline, feeding stdin, and returns its
// output and exit code; failing to start it at all fails the test.
func run(t *testing.T, stdin string, name string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Keep the clients' own configuration (PG* variables, psqlrc) out of
	// the test.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "PSQL") && !strings.HasPrefix(kv, "LC_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PSQLRC=/nonexistent", "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8")
	err := cmd.Run()
	res := runResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		t.Fatalf("%s: %v\nstderr:\n%s", name, err, stderr.String())
	}
	require.NoError(t, ctx.Err(), "%s timed out; stdout:\n%s\nstderr:\n%s", name, res.Stdout, res.Stderr)
	return res
}

type testWriter struct{ t *testing.T }

func (tw testWriter) Write(p []byte) (int, error) {
	tw.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
