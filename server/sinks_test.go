package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/connectors"
	"github.com/weirdb/weir/connectors/blackhole"
	"github.com/weirdb/weir/sql/types"
)

// fakeSink is the "test_sink" connector: it records every delivered batch
// (as printed change rows) per sink name, and fails the next failNext
// deliveries.
type fakeSink struct {
	mu       sync.Mutex
	batches  []fakeBatch
	failNext int
	key      []int
}

type fakeBatch struct {
	ID   uint64
	Rows []string // "+k 1" / "-k 1"
}

var (
	fakeMu    sync.Mutex
	fakeSinks = map[string]*fakeSink{}
)

func init() {
	connectors.RegisterSink("test_sink", func(ctx context.Context, spec connectors.SinkSpec) (connectors.Sink, error) {
		if spec.Options["fail_open"] == "true" {
			return nil, errors.New("cannot reach the test system")
		}
		fakeMu.Lock()
		defer fakeMu.Unlock()
		f := fakeSinks[spec.Name]
		if f == nil {
			f = &fakeSink{}
			fakeSinks[spec.Name] = f
		}
		f.key = spec.Key
		return f, nil
	})
}

func fake(name string) *fakeSink {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	f := fakeSinks[name]
	if f == nil {
		f = &fakeSink{}
		fakeSinks[name] = f
	}
	return f
}

func (f *fakeSink) Deliver(ctx context.Context, b connectors.Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return errors.New("test system unavailable")
	}
	var rows []string
	for i := range b.Changes.N {
		op := "+"
		if b.Changes.Op(i) == types.Delete {
			op = "-"
		}
		rows = append(rows, op+printRow(b.Changes, i))
	}
	f.batches = append(f.batches, fakeBatch{ID: b.ID, Rows: rows})
	return nil
}

func (f *fakeSink) Close() error { return nil }

// printRow renders row i of c as "[v1 v2 ...]".
func printRow(c *types.Chunk, i int) string {
	vals := make([]string, len(c.Cols))
	for j, v := range c.Cols {
		switch {
		case v.IsNull(i):
			vals[j] = "NULL"
		case v.T.Phys() == types.PhysString:
			vals[j] = v.S[i]
		case v.T.Phys() == types.PhysDecimal:
			vals[j] = v.D[i].String()
		case v.T.Phys() == types.PhysInt:
			vals[j] = fmt.Sprint(v.I[i])
		default:
			vals[j] = fmt.Sprint(v.Datum(i))
		}
	}
	return "[" + strings.Join(vals, " ") + "]"
}

func (f *fakeSink) snapshot() []fakeBatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeBatch(nil), f.batches...)
}

// rowsOf returns every delivered row in delivery order.
func rowsOf(bs []fakeBatch) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Rows...)
	}
	return out
}

// upsertState applies upsert batches: "+row" sets the row of its key
// (the first column), "-row" deletes the key.
func upsertState(t *testing.T, bs []fakeBatch) map[string]string {
	t.Helper()
	st := map[string]string{}
	for _, b := range bs {
		seen := map[string]bool{}
		for _, r := range b.Rows {
			var k string
			_, err := fmt.Sscanf(r[2:], "%s", &k)
			require.NoError(t, err)
			require.False(t, seen[k], "batch %d holds key %s twice", b.ID, k)
			seen[k] = true
			if r[0] == '+' {
				st[k] = r[1:]
			} else {
				require.Contains(t, st, k, "tombstone of a key that does not exist")
				delete(st, k)
			}
		}
	}
	return st
}

func requireIncreasing(t *testing.T, bs []fakeBatch) {
	t.Helper()
	for i := 1; i < len(bs); i++ {
		require.Greater(t, bs[i].ID, bs[i-1].ID, "batches in increasing id order, each once")
	}
}

type sqlConn struct {
	t   *testing.T
	ctx context.Context
	c   *pgx.Conn
}

func (s sqlConn) exec(sqls ...string) {
	s.t.Helper()
	for _, sql := range sqls {
		_, err := s.c.Exec(s.ctx, sql)
		require.NoError(s.t, err, sql)
	}
}

func (s sqlConn) strings(sql string) []string {
	s.t.Helper()
	rows, err := s.c.Query(s.ctx, sql)
	require.NoError(s.t, err, sql)
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		require.NoError(s.t, err)
		strs := make([]string, len(vals))
		for i, v := range vals {
			strs[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(strs, " "))
	}
	require.NoError(s.t, rows.Err())
	return out
}

// TestSinkDelivery: an upsert sink FROM an MV delivers batches in order
// whose upserts and tombstones rebuild the MV; a HAVING that drops a
// group produces a tombstone; an append sink delivers the query's rows;
// failed deliveries are retried in order without loss or repeats;
// PAUSE/RESUME, SHOW SINKS, dependencies and DROP SINK.
func TestSinkDelivery(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	s := sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	s.exec("CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE MATERIALIZED VIEW agg AS SELECT k, count(*) AS n, sum(v) AS total FROM t GROUP BY k",
		"CREATE SINK d_up FROM agg WITH (connector = 'test_sink')",
		"CREATE SINK d_few AS SELECT k, count(*) AS n FROM t GROUP BY k HAVING count(*) < 2 WITH (connector = 'test_sink', type = 'upsert')",
		"CREATE SINK d_app AS SELECT k, v FROM t WHERE v > 0 WITH (connector = 'test_sink', type = 'append')")
	require.Equal(t, []int{0}, fake("d_up").key, "the MV's key")
	fake("d_app").mu.Lock()
	fake("d_app").failNext = 3
	fake("d_app").mu.Unlock()
	var appended []string
	for i, vals := range []string{"('a', 1), ('b', 2)", "('a', 3), ('c', -1)", "('b', 5), ('d', 0), ('a', 2)"} {
		s.exec("INSERT INTO t VALUES "+vals, "FLUSH")
		_ = i
	}
	for _, r := range [][2]any{{"a", 1}, {"b", 2}, {"a", 3}, {"b", 5}, {"a", 2}} {
		appended = append(appended, fmt.Sprintf("+[%s %d]", r[0], r[1]))
	}
	want := map[string]string{}
	for _, r := range s.strings("SELECT k, n, total::text FROM agg") {
		var k string
		fmt.Sscanf(r, "%s", &k)
		want[k] = ""
	}
	require.Eventually(t, func() bool {
		return len(upsertState(t, fake("d_up").snapshot())) == len(want) && len(rowsOf(fake("d_app").snapshot())) == len(appended)
	}, 10*time.Second, 10*time.Millisecond)
	up := fake("d_up").snapshot()
	requireIncreasing(t, up)
	got := upsertState(t, up)
	var gotRows, mvRows []string
	for _, r := range got {
		gotRows = append(gotRows, r)
	}
	for _, r := range s.strings("SELECT k, n, total::text FROM agg") {
		mvRows = append(mvRows, "["+r+"]")
	}
	sort.Strings(gotRows)
	sort.Strings(mvRows)
	require.Equal(t, mvRows, gotRows, "the upserts rebuild the MV")

	app := fake("d_app").snapshot()
	requireIncreasing(t, app)
	require.Equal(t, appended, rowsOf(app), "append: every row once, in order, despite failed deliveries")

	require.Eventually(t, func() bool { return len(upsertState(t, fake("d_few").snapshot())) == 2 }, 10*time.Second, 10*time.Millisecond)
	few := fake("d_few").snapshot()
	require.Equal(t, map[string]string{"c": "[c 1]", "d": "[d 1]"}, upsertState(t, few))
	require.Contains(t, rowsOf(few), "-[a 1]", "a group leaving the query is a tombstone")

	require.ElementsMatch(t, []string{"d_app", "d_few", "d_up"}, s.strings("SHOW SINKS"))
	require.ElementsMatch(t, []string{"d_app sink", "d_few sink", "d_up sink", "agg mv"},
		s.strings("SELECT name, kind FROM weir_catalog.queries"))
	_, err := s.c.Exec(ctx, "DROP MATERIALIZED VIEW agg")
	requireCode(t, err, "2BP01")

	// Paused: nothing is delivered; resumed: the backlog arrives.
	s.exec("ALTER SINK d_app PAUSE")
	require.Equal(t, []string{"paused"}, s.strings("SELECT status FROM weir_catalog.queries WHERE name = 'd_app'"))
	s.exec("INSERT INTO t VALUES ('e', 9)")
	time.Sleep(50 * time.Millisecond)
	require.Len(t, rowsOf(fake("d_app").snapshot()), len(appended))
	s.exec("ALTER SINK d_app RESUME", "FLUSH")
	require.Eventually(t, func() bool { return len(rowsOf(fake("d_app").snapshot())) == len(appended)+1 }, 10*time.Second, 10*time.Millisecond)

	s.exec("DROP SINK d_app", "DROP SINK IF EXISTS d_app")
	_, err = s.c.Exec(ctx, "DROP SINK d_app")
	requireCode(t, err, "42704")
	s.exec("DROP MATERIALIZED VIEW agg CASCADE")
	require.ElementsMatch(t, []string{"d_few"}, s.strings("SHOW SINKS"))

	// Bad definitions fail CREATE.
	for sql, code := range map[string]string{
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'test_sink', type = 'upsert')":        "22023",
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'test_sink', type = 'sideways')":      "22023",
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'nosuch')":                            "22023",
		"CREATE SINK x AS SELECT k, v FROM t WITH (type = 'append')":                                 "22023",
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'test_sink', fail_open = 'true')":     "22023",
		"CREATE SINK x FROM nosuch WITH (connector = 'test_sink')":                                   "42P01",
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'blackhole', topic = 'x')":            "22023",
		"CREATE SINK x AS SELECT k, v FROM t WITH (connector = 'test_sink', trigger_interval = 'x')": "22023",
	} {
		_, err := s.c.Exec(ctx, sql)
		requireCode(t, err, code)
	}
	require.ElementsMatch(t, []string{"d_few"}, s.strings("SHOW SINKS"))
}

// TestSinkAppendRetraction: a retraction reaching an append sink fails its
// query, with the reason in its status.
func TestSinkAppendRetraction(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	s := sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	s.exec("CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE SINK r_app AS SELECT k, count(*) AS n FROM t GROUP BY k WITH (connector = 'test_sink', type = 'append')",
		"INSERT INTO t VALUES ('a', 1)", "FLUSH", "INSERT INTO t VALUES ('a', 2)")
	_, err := s.c.Exec(ctx, "FLUSH")
	require.Error(t, err)
	var status, msg string
	require.NoError(t, s.c.QueryRow(ctx, "SELECT status, error FROM weir_catalog.queries WHERE name = 'r_app'").Scan(&status, &msg))
	require.Equal(t, "failed", status)
	require.Contains(t, msg, "not append-only")
}

// TestSinkRedelivery: batches delivered but not yet deleted from the
// outbox when weir stops (as after a crash) are delivered again after the
// restart, with the same ids and contents, before any new batch.
func TestSinkRedelivery(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	ts := startEngineServerAt(t, dir)
	s := sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	testingKeepOutbox.Store(true)
	t.Cleanup(func() { testingKeepOutbox.Store(false) })
	s.exec("CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE SINK rd AS SELECT k, sum(v) AS s FROM t GROUP BY k WITH (connector = 'test_sink')")
	for _, vals := range []string{"('a', 1), ('b', 2)", "('a', 3)", "('c', 4), ('b', -2)"} {
		s.exec("INSERT INTO t VALUES "+vals, "FLUSH")
	}
	require.Eventually(t, func() bool { return len(fake("rd").snapshot()) == 3 }, 10*time.Second, 10*time.Millisecond)
	first := fake("rd").snapshot()
	require.NoError(t, s.c.Close(ctx))
	require.NoError(t, ts.srv.Shutdown(context.Background()))
	require.Len(t, fake("rd").snapshot(), 3, "the drain at shutdown delivers nothing twice")

	testingKeepOutbox.Store(false)
	fake("rd").mu.Lock()
	fake("rd").batches = nil
	fake("rd").mu.Unlock()
	ts = startEngineServerAt(t, dir)
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	s = sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	require.Eventually(t, func() bool { return len(fake("rd").snapshot()) == 3 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, first, fake("rd").snapshot(), "re-delivered: same batch ids and contents")
	s.exec("INSERT INTO t VALUES ('a', 10)", "FLUSH")
	require.Eventually(t, func() bool { return len(fake("rd").snapshot()) == 4 }, 10*time.Second, 10*time.Millisecond)
	again := fake("rd").snapshot()
	require.Greater(t, again[3].ID, first[2].ID)
	require.Equal(t, []string{"+[a 14]"}, again[3].Rows)
}

// TestNexmarkToBlackhole: a nexmark source through a sink AS query into
// the blackhole sink: every bid arrives, counted in the connector and in
// the delivery metrics.
func TestNexmarkToBlackhole(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	s := sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	s.exec(`CREATE SOURCE bid WITH (connector = 'nexmark', table = 'bid', events = '10000', partitions = '2')`,
		"CREATE SINK bh AS SELECT auction, price FROM bid WHERE price > 0 WITH (connector = 'blackhole')",
		"FLUSH")
	require.Eventually(t, func() bool {
		st, ok := blackhole.Counts("bh")
		return ok && st.Rows == 9200
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"bh sink running"}, s.strings("SELECT name, kind, status FROM weir_catalog.queries"))
}

// TestSinkUpsertWindowStart: a windowed aggregate that drops window_end
// keeps its stream key (group keys, window_start), so it can feed an
// upsert sink; a later row of a window upserts its row.
func TestSinkUpsertWindowStart(t *testing.T) {
	ctx := testCtx(t)
	ts := startEngineServerAt(t, t.TempDir())
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	s := sqlConn{t, ctx, ts.connect(t, pgx.QueryExecModeSimpleProtocol)}
	s.exec("CREATE TABLE bid (auction BIGINT, date_time TIMESTAMP)",
		"CREATE SINK w_up AS SELECT auction, window_start, count(*) AS n FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start WITH (connector = 'test_sink', type = 'upsert')",
		"CREATE SINK w_bh AS SELECT auction, window_start, count(*) FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start WITH (connector = 'blackhole', type = 'upsert')",
		"CREATE MATERIALIZED VIEW w_mv AS SELECT auction, window_start, count(*) AS n FROM SESSION(bid, date_time, INTERVAL '10' SECOND) GROUP BY auction, window_start",
		"CREATE SINK w_mv_up FROM w_mv WITH (connector = 'test_sink')")
	require.Equal(t, []int{0, 1}, fake("w_up").key, "auction, window_start")
	require.Equal(t, []int{0, 1}, fake("w_mv_up").key, "the MV's key: auction, window_start")
	s.exec("INSERT INTO bid VALUES (1, '2026-01-01 00:00:01'), (1, '2026-01-01 00:00:02'), (2, '2026-01-01 00:00:03'), (1, '2026-01-01 00:00:11')", "FLUSH",
		"INSERT INTO bid VALUES (1, '2026-01-01 00:00:04')", "FLUSH")
	// (auction, window_start) -> last upserted row.
	state := func(name string) map[string]string {
		st := map[string]string{}
		for _, b := range fake(name).snapshot() {
			for _, r := range b.Rows {
				f := strings.Fields(r[2 : len(r)-1])
				k := strings.Join(f[:len(f)-1], " ")
				if r[0] == '+' {
					st[k] = f[len(f)-1]
				} else {
					delete(st, k)
				}
			}
		}
		return st
	}
	counts := func(name string) string {
		var ns []string
		for _, n := range state(name) {
			ns = append(ns, n)
		}
		sort.Strings(ns)
		return strings.Join(ns, " ")
	}
	// Tumbling windows: (1, :00) has 3 rows, (1, :10) and (2, :00) one.
	require.Eventually(t, func() bool { return counts("w_up") == "1 1 3" }, 10*time.Second, 10*time.Millisecond)
	// Sessions: auction 1's rows form one session of 4 rows from :01.
	require.Eventually(t, func() bool { return counts("w_mv_up") == "1 4" }, 10*time.Second, 10*time.Millisecond)
	require.ElementsMatch(t, []string{"1 4", "2 1"}, s.strings("SELECT auction, n FROM w_mv"))
}
