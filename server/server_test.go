package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"
)

func TestShutdownDrainsInFlightStatements(t *testing.T) {
	ts := startServer(t)
	idle := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	busy := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := testCtx(t)

	done := make(chan error, 1)
	var rows int
	go func() {
		res, err := busy.PgConn().Exec(ctx, "sleep 300ms").ReadAll()
		if err == nil {
			rows = len(res[0].Rows)
		}
		done <- err
	}()
	waitFor(t, func() bool { return len(ts.eng.executedList()) == 1 })

	start := time.Now()
	require.NoError(t, ts.srv.Shutdown(ctx))
	require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "shutdown did not wait for the statement")

	// The in-flight statement completed normally.
	require.NoError(t, <-done)
	require.Equal(t, 1, rows)
	// Serve returned ErrServerClosed.
	require.ErrorIs(t, <-ts.serveCh, ErrServerClosed)
	// The engine was closed once; every session was closed.
	ts.eng.mu.Lock()
	require.Equal(t, 1, ts.eng.engClose)
	require.Equal(t, 2, ts.eng.closed)
	ts.eng.mu.Unlock()
	// The idle connection was told why it ends.
	err := idle.Ping(ctx)
	require.Error(t, err)
	// New connections are refused.
	_, err = pgx.Connect(ctx, ts.url())
	require.Error(t, err)
	// A second Shutdown returns the first one's result.
	require.NoError(t, ts.srv.Shutdown(ctx))
	require.ErrorIs(t, ts.srv.Serve(nil), ErrServerClosed)
}

func TestShutdownDeadlineCancelsStatements(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	done := make(chan error, 1)
	go func() {
		_, err := conn.PgConn().Exec(context.Background(), "sleep 1m").ReadAll()
		done <- err
	}()
	waitFor(t, func() bool { return len(ts.eng.executedList()) == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, ts.srv.Shutdown(ctx), context.DeadlineExceeded)
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("statement still running after shutdown")
	}
	ts.eng.mu.Lock()
	require.Equal(t, 1, ts.eng.engClose)
	ts.eng.mu.Unlock()
}

func TestIdleConnectionGetsAdminShutdown(t *testing.T) {
	ts := startServer(t)
	_, fe := rawStartup(t, ts)
	require.NoError(t, ts.srv.Shutdown(testCtx(t)))
	msg, err := fe.Receive()
	require.NoError(t, err)
	er, ok := msg.(*pgproto3.ErrorResponse)
	require.True(t, ok, "%T", msg)
	require.Equal(t, "FATAL", er.Severity)
	require.Equal(t, "57P01", er.Code)
	require.Equal(t, "terminating connection due to administrator command", er.Message)
	_, err = fe.Receive()
	require.Error(t, err)
}

func TestShutdownDoesNotWaitForSilentClients(t *testing.T) {
	ts := startServer(t)
	nc, err := net.Dial("tcp", ts.addr)
	require.NoError(t, err)
	defer nc.Close()
	waitFor(t, func() bool {
		ts.srv.mu.Lock()
		defer ts.srv.mu.Unlock()
		return len(ts.srv.conns) == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.NoError(t, ts.srv.Shutdown(ctx))
	_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = nc.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
}

func TestHTTPEndpointsAndMetrics(t *testing.T) {
	var logs syncBuffer
	ts := startServer(t, func(c *Config) {
		c.HTTP = "127.0.0.1:0"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	base := "http://" + ts.srv.HTTPAddr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)
	code, _ = get("/readyz")
	require.Equal(t, 200, code)
	code, _ = get("/nope")
	require.Equal(t, 404, code)

	conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	_, err := conn.Exec(testCtx(t), "insert")
	require.NoError(t, err)
	_, err = conn.Exec(testCtx(t), "rows 2")
	require.NoError(t, err)
	_, _ = conn.Exec(testCtx(t), "error at 1")
	code, body = get("/metrics")
	require.Equal(t, 200, code)
	require.Contains(t, body, "weir_pgwire_connections 1\n")
	require.Contains(t, body, `weir_pgwire_statements_total{kind="insert"} 1`)
	require.Contains(t, body, `weir_pgwire_statements_total{kind="rows"} 1`)
	require.Contains(t, body, `weir_pgwire_statements_total{kind="invalid"} 1`)
	require.Contains(t, body, `weir_pgwire_statement_duration_seconds_count{kind="rows"} 1`)
	require.Contains(t, body, "go_goroutines")
	require.Contains(t, body, "process_cpu_seconds_total")

	// The pgwire address is logged on a line with "listening"; the HTTP
	// line does not use that word.
	var listening []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "listening") {
			listening = append(listening, line)
		}
	}
	require.Len(t, listening, 1)
	require.Contains(t, listening[0], "addr="+ts.addr)

	// Readiness turns 503 once shutdown starts; the endpoints stop after.
	ts.srv.beginShutdown()
	code, body = get("/readyz")
	require.Equal(t, 503, code)
	require.Equal(t, "shutting down\n", body)
	require.NoError(t, ts.srv.Shutdown(testCtx(t)))
	_, err = http.Get(base + "/healthz")
	require.Error(t, err)
}

func TestNewFailsCleanly(t *testing.T) {
	boom := errors.New("boom")
	_, err := newServer(Config{HTTP: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		func(Config) (engine, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	_, err = newServer(Config{HTTP: "off", Auth: "md5"}, func(Config) (engine, error) { return &fakeEngine{}, nil })
	require.ErrorContains(t, err, "unknown auth method")
}

func TestScramNotSupportedYet(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.Auth = "scram" })
	_, err := pgx.Connect(testCtx(t), ts.url())
	pe := pgErr(t, err)
	require.Equal(t, "0A000", pe.Code)
	require.Equal(t, "FATAL", pe.Severity)
}

func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed (apt-get install postgresql-client)")
	}
	ts := startServer(t)
	host, port, _ := strings.Cut(ts.addr, ":")
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, psql, append([]string{"-h", host, "-p", port, "-U", "weir", "-X", "-d", "weir"}, args...)...)
		cmd.Env = append(cmd.Environ(), "PGCONNECT_TIMEOUT=5", "PGSSLMODE=prefer")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("-At", "-c", "rows 3")
	require.NoError(t, err, out)
	require.Equal(t, "1|row 1\n2|row 2\n3|row 3\n", out)

	out, err = run("-c", "error at 1")
	require.Error(t, err)
	require.Contains(t, out, "ERROR:  syntax error at or near \"error\"")

	// A script with COPY FROM STDIN data inline.
	cmd := exec.Command(psql, "-h", host, "-p", port, "-U", "weir", "-X", "-d", "weir", "-v", "ON_ERROR_STOP=1")
	cmd.Stdin = strings.NewReader("copy 2;\nrow1\nrow2\n\\.\nrows 1;\n")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	require.Contains(t, string(b), "COPY ")
	require.Contains(t, string(b), "(1 row)")
	ts.eng.mu.Lock()
	defer ts.eng.mu.Unlock()
	require.Len(t, ts.eng.copied, 1)
	// psql may forward the \. end marker as data; the COPY decoder stops
	// at it, as PostgreSQL's does.
	require.True(t, strings.HasPrefix(ts.eng.copied[0], "row1\nrow2\n"), "%q", ts.eng.copied[0])
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
