package server

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors/nexmark"
	"github.com/weirdb/weir/sql/pgerror"
)

// nexmarkBidsPerAuction computes count(*) per auction of the first events
// bid events directly from the generator.
func nexmarkBidsPerAuction(events uint64) map[int64]int64 {
	cfg := nexmark.Config{Table: nexmark.Bid, Seed: 1, InterEvent: nexmark.DefaultInterEvent}
	var g nexmark.Generator
	out := map[int64]int64{}
	for n := range events {
		if nexmark.KindOf(n) == nexmark.Bid {
			out[g.Row(cfg, n, nil)[0].I]++
		}
	}
	return out
}

// TestNexmarkSource: a nexmark source read by an MV (count per auction)
// equals the direct computation, across a restart; an ad-hoc SELECT over
// the source is bounded; bad options fail CREATE SOURCE with 22023;
// DROP SOURCE is refused while an MV reads it.
func TestNexmarkSource(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	ts := startEngineServerAt(t, dir)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	exec := func(sql string) {
		t.Helper()
		_, err := c.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	exec(`CREATE SOURCE bid WITH (connector = 'nexmark', table = 'bid', events = '20000', seed = '1', partitions = '4',
		max_rows_per_batch = '3000')`)
	exec("CREATE MATERIALIZED VIEW per_auction AS SELECT auction, count(*) AS n FROM bid GROUP BY auction")
	exec("FLUSH")
	want := nexmarkBidsPerAuction(20000)
	check := func() {
		t.Helper()
		rows, err := c.Query(ctx, "SELECT auction, n FROM per_auction")
		require.NoError(t, err)
		got := map[int64]int64{}
		for rows.Next() {
			var a, n int64
			require.NoError(t, rows.Scan(&a, &n))
			got[a] = n
		}
		require.NoError(t, rows.Err())
		require.Equal(t, want, got)
	}
	check()
	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM bid").Scan(&n))
	require.EqualValues(t, 18400, n)
	var parts int64
	require.NoError(t, c.QueryRow(ctx,
		"SELECT count(*) FROM weir_catalog.source_progress WHERE query = 'per_auction' AND lag = 0").Scan(&parts))
	require.EqualValues(t, 4, parts)

	_, err := c.Exec(ctx, "CREATE SOURCE x WITH (connector = 'nexmark', table = 'bids', events = '1')")
	requireCode(t, err, "22023")
	_, err = c.Exec(ctx, "CREATE SOURCE x WITH (connector = 'nosuch')")
	requireCode(t, err, "22023")
	_, err = c.Exec(ctx, "CREATE SOURCE x WITH (connector = 'nexmark', table = 'bid', events = '1', startup = 'middle')")
	requireCode(t, err, "22023")
	_, err = c.Exec(ctx, "DROP SOURCE bid")
	requireCode(t, err, "2BP01")
	var names []string
	rows, err := c.Query(ctx, "SHOW SOURCES")
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		names = append(names, s)
	}
	require.Equal(t, []string{"bid"}, names)

	require.NoError(t, c.Close(ctx))
	require.NoError(t, ts.srv.Shutdown(context.Background()))
	ts = startEngineServerAt(t, dir)
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	c = ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	exec("FLUSH")
	check()
	exec("DROP SOURCE bid CASCADE")
	_, err = c.Exec(ctx, "SELECT * FROM per_auction")
	requireCode(t, err, "42P01")
}

// TestNexmarkSourceColumns: declared columns pick a subset, and a
// WATERMARK on the generator's event time drives windows.
func TestNexmarkSourceColumns(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	_, err := c.Exec(ctx, `CREATE SOURCE p (id BIGINT, date_time TIMESTAMP, WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
		WITH (connector = 'nexmark', table = 'person', events = '5000')`)
	require.NoError(t, err)
	var n, lo, hi int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*), min(id), max(id) FROM p").Scan(&n, &lo, &hi))
	require.Equal(t, []int64{100, 1000, 1099}, []int64{n, lo, hi})
	_, err = c.Exec(ctx, `CREATE SOURCE q (id TEXT) WITH (connector = 'nexmark', table = 'person', events = '5000')`)
	requireCode(t, err, "42804")
}

func TestEscapeRaw(t *testing.T) {
	for in, want := range map[string]string{
		`{"a": 1}`:        `{"a": 1}`,
		"caf\xc3\xa9":     "café",
		"a\xffb\xc3":      `a\xffb\xc3`,
		`back\slash`:      `back\\slash`,
		"":                "",
		"\x00\x01 ctl ok": "\x00\x01 ctl ok",
	} {
		require.Equal(t, want, escapeRaw([]byte(in)), "%q", in)
	}
}

func TestParseSourceOptions(t *testing.T) {
	so, err := parseSourceOptions(map[string]string{"connector": "x", "startup": "latest", "max_rows_per_batch": "500", "bad_records": "fail"})
	require.NoError(t, err)
	require.Equal(t, sourceOptions{latest: true, maxRows: 500}, so)
	for _, opts := range []map[string]string{
		{}, {"connector": "x", "startup": "now"}, {"connector": "x", "max_rows_per_batch": "0"},
		{"connector": "x", "max_rows_per_batch": "-3"}, {"connector": "x", "bad_records": "ignore"},
	} {
		_, err := parseSourceOptions(opts)
		require.Equal(t, "22023", pgerror.Code(err), "%v", opts)
	}
}

// An interval join over sources follows their WATERMARK FOR clauses: with
// watermarks on both it is an interval join; without, a left interval
// join is refused (its unmatched rows could never be emitted).
func TestIntervalJoinOverSourcesNeedsWatermarks(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, sql := range []string{
		`CREATE SOURCE a (id BIGINT, date_time TIMESTAMP, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		 WITH (connector = 'nexmark', table = 'auction', events = '1000', seed = '1')`,
		`CREATE SOURCE b (auction BIGINT, price BIGINT, date_time TIMESTAMP, WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
		 WITH (connector = 'nexmark', table = 'bid', events = '1000', seed = '1')`,
		`CREATE SOURCE b_nowm (auction BIGINT, price BIGINT, date_time TIMESTAMP)
		 WITH (connector = 'nexmark', table = 'bid', events = '1000', seed = '1')`,
	} {
		_, err := c.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	const q = `SELECT a.id, b.price FROM a LEFT JOIN %s b ON a.id = b.auction
	           AND b.date_time BETWEEN a.date_time AND a.date_time + INTERVAL '10' SECOND`
	var plan []string
	rows, err := c.Query(ctx, "EXPLAIN CREATE MATERIALIZED VIEW j AS "+fmt.Sprintf(q, "b"))
	require.NoError(t, err)
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan = append(plan, line)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, strings.Join(plan, "\n"), "IntervalJoin")

	_, err = c.Exec(ctx, "CREATE MATERIALIZED VIEW j2 AS "+fmt.Sprintf(q, "b_nowm"))
	pe := pgErr(t, err)
	require.Equal(t, "0A000", pe.Code)
	require.Contains(t, pe.Message, "WATERMARK")
}
