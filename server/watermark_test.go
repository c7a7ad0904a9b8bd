package server

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

// Event time end to end (docs/windows.md): a table's WATERMARK drives the
// query watermark shown in weir_catalog.queries and batches; rows below it
// are dropped by a window TVF and recorded in weir_catalog.late_rows (but
// counted by a plain aggregate); the watermark survives a restart; an MV
// over that MV takes its watermark; EMIT ON WINDOW CLOSE is kept in the
// MV's options and refused without a windowed aggregate.
func TestWatermarksAndLateRows(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	ts := startEngineServerAt(t, dir)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	exec := func(c *pgx.Conn, sqls ...string) {
		t.Helper()
		for _, sql := range sqls {
			_, err := c.Exec(ctx, sql)
			require.NoError(t, err, sql)
		}
	}
	exec(c,
		"CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)",
		"CREATE MATERIALIZED VIEW w AS SELECT auction, price, window_start FROM TUMBLE(bids, ts, INTERVAL '10' SECOND)",
		"CREATE MATERIALIZED VIEW total AS SELECT count(*) AS n FROM bids",
		"CREATE MATERIALIZED VIEW down AS SELECT auction, count(*) AS n FROM w GROUP BY auction",
		"INSERT INTO bids VALUES (1, 10, '2026-01-01 00:00:01'), (1, 20, '2026-01-01 00:00:15')",
		"FLUSH",
		// Watermark is now 00:00:13: 00:00:05 is late, 00:00:14 is not.
		"INSERT INTO bids VALUES (2, 30, '2026-01-01 00:00:05'), (2, 40, '2026-01-01 00:00:14')",
		"FLUSH",
	)
	wm13 := time.Date(2026, 1, 1, 0, 0, 13, 0, time.UTC)
	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM w").Scan(&n))
	require.EqualValues(t, 3, n, "the late row is not in the windowed MV")
	require.NoError(t, c.QueryRow(ctx, "SELECT n FROM total").Scan(&n))
	require.EqualValues(t, 4, n, "a non-windowed aggregate counts late rows too")

	var src, row string
	var ev, wm time.Time
	require.NoError(t, c.QueryRow(ctx, "SELECT source, event_time, watermark, row FROM weir_catalog.late_rows WHERE query = 'w'").
		Scan(&src, &ev, &wm, &row))
	require.Equal(t, "bids", src)
	require.Equal(t, time.Date(2026, 1, 1, 0, 0, 5, 0, time.UTC), ev.UTC())
	require.Equal(t, wm13, wm.UTC())
	require.Equal(t, "(2, 30, 2026-01-01 00:00:05)", row)
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM weir_catalog.late_rows WHERE query <> 'w'").Scan(&n))
	require.Zero(t, n)
	require.NoError(t, c.QueryRow(ctx, "SELECT sum(late_rows) FROM weir_catalog.batches WHERE query = 'w'").Scan(&n))
	require.EqualValues(t, 1, n)
	require.NoError(t, c.QueryRow(ctx, "SELECT max(watermark) FROM weir_catalog.batches WHERE query = 'w'").Scan(&wm))
	require.Equal(t, wm13, wm.UTC())
	for _, q := range []string{"w", "total", "down"} {
		require.NoError(t, c.QueryRow(ctx, "SELECT watermark FROM weir_catalog.queries WHERE name = $1", q).Scan(&wm), q)
		require.Equal(t, wm13, wm.UTC(), "%s: from the table, or from the upstream MV", q)
	}

	// EMIT ON WINDOW CLOSE is kept in the options, and only users of a
	// windowed aggregate may ask for it.
	exec(c, "CREATE MATERIALIZED VIEW e AS SELECT auction, window_start, count(*) AS n FROM TUMBLE(bids, ts, INTERVAL '10' SECOND) GROUP BY auction, window_start EMIT ON WINDOW CLOSE")
	_, err := c.Exec(ctx, "CREATE MATERIALIZED VIEW bad AS SELECT auction, count(*) FROM bids GROUP BY auction EMIT ON WINDOW CLOSE")
	require.ErrorContains(t, err, "EMIT ON WINDOW CLOSE requires a windowed aggregate")
	requireCode(t, err, "0A000")
	_, err = c.Exec(ctx, "CREATE MATERIALIZED VIEW bad WITH (emit_on_window_close = 'true') AS SELECT 1")
	requireCode(t, err, "22023")
	_, err = c.Exec(ctx, "ALTER MATERIALIZED VIEW total SET (emit_on_window_close = 'true')")
	requireCode(t, err, "22023")
	var plan []string
	rows, err := c.Query(ctx, "EXPLAIN CREATE MATERIALIZED VIEW x AS SELECT auction, min(price) FROM bids GROUP BY auction")
	require.NoError(t, err)
	for rows.Next() {
		var l string
		require.NoError(t, rows.Scan(&l))
		plan = append(plan, l)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, plan, "  HashAgg group=[bids.auction] aggs=[min(bids.price)] append_only")
	require.NoError(t, c.Close(ctx))
	require.NoError(t, ts.srv.Shutdown(context.Background()))

	// After a restart the committed watermark is back, so the same late
	// row is still late; the EOWC MV still plans with its option.
	ts = startEngineServerAt(t, dir)
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	c = ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, c.QueryRow(ctx, "SELECT watermark FROM weir_catalog.queries WHERE name = 'w'").Scan(&wm))
	require.Equal(t, wm13, wm.UTC())
	var status string
	require.NoError(t, c.QueryRow(ctx, "SELECT status FROM weir_catalog.queries WHERE name = 'e'").Scan(&status))
	require.Equal(t, "running", status)
	exec(c, "INSERT INTO bids VALUES (3, 50, '2026-01-01 00:00:09'), (3, 60, '2026-01-01 00:00:30')", "FLUSH")
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM w WHERE auction = 3").Scan(&n))
	require.EqualValues(t, 1, n)
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM weir_catalog.late_rows WHERE query = 'w'").Scan(&n))
	require.EqualValues(t, 1, n, "the ring is in memory: only the late row since the restart")
	require.NoError(t, c.QueryRow(ctx, "SELECT watermark FROM weir_catalog.queries WHERE name = 'w'").Scan(&wm))
	require.Equal(t, time.Date(2026, 1, 1, 0, 0, 28, 0, time.UTC), wm.UTC())
}

// requireCode asserts that err carries SQLSTATE code.
func requireCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, code, pe.Code, pe.Message)
}
