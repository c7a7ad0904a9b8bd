package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// The graceful stop test: DESIGN.md's "SIGTERM stops new batches, finishes
// and commits the one in flight, drains sinks, closes Pebble; a second
// signal exits at once (and recovery still holds)", on the real binary.
//
// A materialized view over a table is caught up; one big COPY makes its
// next batch long. The test waits for the driver's "batch started" log
// line of that batch (debug level) and signals while the batch runs:
//
//   - SIGTERM alone: weir must exit 0 within gracefulExitBound, having
//     logged that the batch in flight was committed. After a restart, and
//     before any new input, the query's batch id is the one it logged at
//     stop, FLUSH runs no batch (batch id unchanged, weir_catalog.batches
//     empty for the query: nothing is replayed) and the MV equals its
//     query computed over the table.
//   - SIGTERM, then SIGINT during the graceful stop: weir must exit at
//     once with 130. After a restart and FLUSH the MV again equals its
//     query, at the same batch id (the interrupted batch runs again under
//     its own id; no extra batch).

const (
	gracefulTable = "CREATE TABLE g (id BIGINT NOT NULL, k INT, v BIGINT)"
	// gracefulQuery is the MV's query; the test also runs it ad hoc as
	// the oracle.
	gracefulQuery = "SELECT k, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi FROM g WHERE v % 7 <> 0 GROUP BY k"
	// gracefulRows is the size of each COPY: enough for a batch that runs
	// several hundred milliseconds, so the signal lands inside it.
	gracefulRows = 300_000
	// gracefulExitBound bounds a graceful stop: the batch in flight plus
	// closing the store, with room for a loaded machine.
	gracefulExitBound = 60 * time.Second
	// immediateExitBound bounds the exit after a second signal.
	immediateExitBound = 5 * time.Second
)

func TestGracefulStop(t *testing.T) {
	bin := buildWeir(t)
	dataDir := t.TempDir()
	// Debug logs carry the driver's "batch started" lines; a short trigger
	// interval starts the batch as soon as the COPY is acknowledged.
	env := []string{"WEIR_TRIGGER_INTERVAL=20ms", "WEIR_LOG_LEVEL=debug"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cmd, addr, tail := startServe(t, bin, dataDir, env...)
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	mustExec(t, ctx, conn, gracefulTable)
	mustExec(t, ctx, conn, "CREATE MATERIALIZED VIEW gmv AS "+gracefulQuery)
	mustExec(t, ctx, conn, "FLUSH")
	caughtUp := queryBatchID(t, ctx, conn, "gmv")

	// 1. SIGTERM while the batch of a big COPY runs.
	inFlight := caughtUp + 1
	copyGraceful(t, ctx, conn, 0, gracefulRows)
	require.NoError(t, conn.Close(ctx))
	waitLog(t, tail, batchStartedRe("gmv", inFlight), 60*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, took := waitExit(t, cmd, gracefulExitBound, tail)
	require.Equal(t, 0, code, "weir must exit 0 after SIGTERM; log:\n%s", tail)
	t.Logf("graceful stop with batch %d in flight took %v", inFlight, took.Round(time.Millisecond))
	logged := tail.String()
	require.Regexp(t, logLineRe("batch in flight at stop committed", "gmv", inFlight), logged,
		"the batch in flight at SIGTERM must be committed")
	require.Regexp(t, logLineRe("continuous query stopped", "gmv", inFlight), logged)
	require.Regexp(t, `msg=stopped`, logged)

	// The restart continues where the stop committed: nothing to replay,
	// nothing to do.
	cmd, addr, tail = startServe(t, bin, dataDir, env...)
	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	require.Equal(t, inFlight, queryBatchID(t, ctx, conn, "gmv"), "batch id after restart = the one logged at stop")
	require.Zero(t, queryBatchCount(t, ctx, conn, "gmv"), "no batch may run after a graceful stop without new input")
	mustExec(t, ctx, conn, "FLUSH")
	require.Equal(t, inFlight, queryBatchID(t, ctx, conn, "gmv"), "FLUSH without new input must run no batch")
	require.Zero(t, queryBatchCount(t, ctx, conn, "gmv"), "FLUSH without new input must run no batch")
	require.NotRegexp(t, `msg="batch started"`, tail.String(), "the restart must not replay")
	checkGracefulMV(t, ctx, conn, gracefulRows)

	// 2. SIGTERM, then SIGINT while the graceful stop waits for the batch.
	interrupted := inFlight + 1
	copyGraceful(t, ctx, conn, gracefulRows, gracefulRows)
	require.NoError(t, conn.Close(ctx))
	waitLog(t, tail, batchStartedRe("gmv", interrupted), 60*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitLog(t, tail, regexp.MustCompile(`msg="shutting down`), 30*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	code, took = waitExit(t, cmd, immediateExitBound, tail)
	require.Equal(t, exitInterrupted, code, "a second signal must exit at once with 130; log:\n%s", tail)
	require.Regexp(t, `msg="second signal; exiting immediately"`, tail.String())
	committedAtExit := regexp.MustCompile(logLineRe("batch in flight at stop committed", "gmv", interrupted)).MatchString(tail.String())
	t.Logf("second signal: exit after %v; the interrupted batch %d committed before the exit: %v",
		took.Round(time.Millisecond), interrupted, committedAtExit)

	// Recovery holds: the interrupted batch is replayed under its own id
	// (or was committed), and the MV equals its query over every row.
	cmd, addr, tail = startServe(t, bin, dataDir, env...)
	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	mustExec(t, ctx, conn, "FLUSH")
	require.Equal(t, interrupted, queryBatchID(t, ctx, conn, "gmv"),
		"the interrupted batch commits under its own id, with no extra batch")
	// The planned ranges are written unsynced before the batch reads (a
	// batch lost with them was never seen), so the batch may run again
	// as a replay or planned afresh over the same input.
	t.Logf("after the restart, batch %d ran again: %v", interrupted,
		batchStartedRe("gmv", interrupted).MatchString(tail.String()))
	checkGracefulMV(t, ctx, conn, 2*gracefulRows)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, _ = waitExit(t, cmd, gracefulExitBound, tail)
	require.Equal(t, 0, code, "log:\n%s", tail)

	// 3. SIGTERM while the engine opens (WAL replay, recovery of the
	// query): the HTTP endpoints start first, so their log line comes
	// before the engine is open. The stop is graceful too: exit 0, and the
	// next start has nothing to do.
	cmd, tail = startProcess(t, bin, []string{"serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir", dataDir}, env)
	waitLog(t, tail, httpAddrRe, 30*time.Second)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, _ = waitExit(t, cmd, gracefulExitBound, tail)
	require.Equal(t, 0, code, "SIGTERM while the engine opens must stop gracefully; log:\n%s", tail)
	require.Regexp(t, `msg=stopped`, tail.String())
	t.Logf("SIGTERM arrived while the engine opened: %v", strings.Contains(tail.String(), "shutting down once the engine is open"))
	cmd, addr, tail = startServe(t, bin, dataDir, env...)
	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	mustExec(t, ctx, conn, "FLUSH")
	require.Equal(t, interrupted, queryBatchID(t, ctx, conn, "gmv"))
	require.Zero(t, queryBatchCount(t, ctx, conn, "gmv"))
	checkGracefulMV(t, ctx, conn, 2*gracefulRows)
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, _ = waitExit(t, cmd, gracefulExitBound, tail)
	require.Equal(t, 0, code, "log:\n%s", tail)
}

// copyGraceful COPYs rows ids [from, from+n) into g; k and v are functions
// of the id, with some NULLs.
func copyGraceful(t *testing.T, ctx context.Context, conn *pgx.Conn, from, n int) {
	t.Helper()
	var b strings.Builder
	for id := from; id < from+n; id++ {
		k := strconv.Itoa(id % 97)
		if id%101 == 0 {
			k = `\N`
		}
		v := strconv.Itoa((id*7919)%20011 - 10000)
		if id%53 == 0 {
			v = `\N`
		}
		fmt.Fprintf(&b, "%d\t%s\t%s\n", id, k, v)
	}
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(b.String()), "COPY g FROM STDIN")
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("COPY %d", n), tag.String())
}

// checkGracefulMV checks the table holds rows rows and the MV equals its
// query computed over the table.
func checkGracefulMV(t *testing.T, ctx context.Context, conn *pgx.Conn, rows int) {
	t.Helper()
	var n int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM g").Scan(&n))
	require.Equal(t, int64(rows), n, "rows in the table")
	want := queryLines(t, ctx, conn, gracefulQuery)
	require.Len(t, want, 98, "97 keys and NULL")
	require.Empty(t, diffLines(want, queryLines(t, ctx, conn, "SELECT * FROM gmv")), "MV gmv differs from its query")
}

func mustExec(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string) {
	t.Helper()
	_, err := conn.Exec(ctx, sql)
	require.NoError(t, err, sql)
}

// queryBatchID returns the last committed batch id of query from
// weir_catalog.queries.
func queryBatchID(t *testing.T, ctx context.Context, conn *pgx.Conn, query string) uint64 {
	t.Helper()
	var id int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT batch_id FROM weir_catalog.queries WHERE name = $1", query).Scan(&id))
	return uint64(id)
}

// queryBatchCount returns how many batches of query this process ran
// (weir_catalog.batches).
func queryBatchCount(t *testing.T, ctx context.Context, conn *pgx.Conn, query string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM weir_catalog.batches WHERE query = $1", query).Scan(&n))
	return n
}

// logLineRe matches a driver log line (slog text format) with msg, the
// query and the batch id.
func logLineRe(msg, query string, batchID uint64) string {
	return fmt.Sprintf(`msg="%s" query=%s batch_id=%d\b`, regexp.QuoteMeta(msg), regexp.QuoteMeta(query), batchID)
}

func batchStartedRe(query string, batchID uint64) *regexp.Regexp {
	return regexp.MustCompile(logLineRe("batch started", query, batchID))
}

// waitLog reads the process's log lines until one matches re.
func waitLog(t *testing.T, tail *logTail, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-tail.lines:
			require.True(t, ok, "weir exited before logging %s; log:\n%s", re, tail)
			if re.MatchString(line) {
				return line
			}
		case <-deadline:
			t.Fatalf("no log line matching %s within %v; log:\n%s", re, timeout, tail)
		}
	}
}

// waitExit waits for the process to exit within bound and returns its exit
// code and how long it took.
func waitExit(t *testing.T, cmd *exec.Cmd, bound time.Duration, tail *logTail) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		took := time.Since(start)
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode(), took
		}
		require.NoError(t, err)
		return 0, took
	case <-time.After(bound):
		_ = cmd.Process.Signal(os.Kill)
		<-done
		t.Fatalf("weir did not exit within %v; log:\n%s", bound, tail)
		return 0, 0
	}
}
