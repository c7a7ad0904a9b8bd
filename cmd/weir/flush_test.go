package main

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// TestFlushAfterCreate: FLUSH right after CREATE MATERIALIZED VIEW waits
// for the query's first batch, which runs even without input, so a global
// aggregate over an empty table shows its one row (count 0, as PostgreSQL
// computes the query) instead of no rows. The first batch commits a few
// milliseconds after CREATE returns (a synced commit), so FLUSH arrives
// before it most of the time; several MVs make a miss unlikely to hide.
func TestFlushAfterCreate(t *testing.T) {
	bin := buildWeir(t)
	cmd, addr, tail := startServe(t, bin, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	mustExec(t, ctx, conn, "CREATE TABLE empty_src (k INT, v BIGINT)")
	for i := range 10 {
		mv := fmt.Sprintf("empty_agg_%d", i)
		mustExec(t, ctx, conn, "CREATE MATERIALIZED VIEW "+mv+" AS SELECT count(*) AS n, sum(v) AS s, count(DISTINCT k) AS keys FROM empty_src")
		mustExec(t, ctx, conn, "FLUSH")
		require.Equal(t, []string{"0|NULL|0"}, queryLines(t, ctx, conn, "SELECT * FROM "+mv), mv)
		require.Equal(t, uint64(1), queryBatchID(t, ctx, conn, mv), "%s: the first batch committed", mv)
	}
	require.NoError(t, conn.Close(ctx))
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	code, _ := waitExit(t, cmd, gracefulExitBound, tail)
	require.Equal(t, 0, code, "log:\n%s", tail)
}
