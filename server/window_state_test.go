package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/state"
)

// Windowed state is bounded by the watermark (issue 4): a window aggregate
// drops a window's state once the watermark passes its end, so over a
// long input whose event time keeps advancing, the operator state of a
// windowed MV stays the size of the open windows, not of the input.
//
// The test feeds 200 tumbling windows' worth of rows (plus hop and session
// MVs over the same table), FLUSHing after every INSERT so the watermark
// advances batch by batch, and measures each MV's operator state — the
// keys under q/<id>/op/ and their bytes, read from the store — after 10%
// and after 100% of the input. The MV rows themselves (m/<id>/) grow with
// the number of windows in the default emit mode, by design; they are not
// operator state. weir_catalog.queries.state_bytes (which counts MV rows
// and changelog too, and is Pebble's on-disk estimate: 0 while everything
// is still in the memtable) is printed alongside.
func TestWindowStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("long input")
	}
	const (
		windows      = 200 // tumbling windows of 1 s in the input
		keys         = 10
		rowsPerKeySe = 5 // rows per key per second
		perInsert    = 250
	)
	dir := t.TempDir()
	srv, err := New(Config{DataDir: dir, HTTP: "off", TriggerInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveCh := make(chan error, 1)
	go func() { serveCh <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Shutdown(context.Background())
		<-serveCh
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://weir@%s/weir?sslmode=disable", ln.Addr()))
	require.NoError(t, err)
	defer c.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		_, err := c.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
		require.NoError(t, err, sql)
	}

	views := map[string]string{
		"st_tumble": `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
		              FROM TUMBLE(sev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end`,
		"st_hop": `SELECT k, window_start, window_end, count(*) AS n, max(v) AS hi
		           FROM HOP(sev, ts, INTERVAL '1' SECOND, INTERVAL '4' SECOND) GROUP BY k, window_start, window_end`,
		"st_session": `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
		               FROM SESSION(sev, ts, INTERVAL '300 milliseconds') GROUP BY k, window_start, window_end`,
		"st_eowc": `SELECT k, window_start, window_end, count(*) AS n
		            FROM TUMBLE(sev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE`,
	}
	exec("CREATE TABLE sev (k TEXT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)")
	for name, q := range views {
		exec("CREATE MATERIALIZED VIEW " + name + " AS " + q)
	}

	eng := srv.eng.(*Engine)
	queryID := func(name string) uint64 {
		for _, q := range eng.queries.list() {
			if q.name == name {
				return q.id
			}
		}
		t.Fatalf("no query %s", name)
		return 0
	}
	// opState counts the keys under q/<id>/op/ and their bytes.
	type size struct{ keys, bytes int }
	opState := func(name string) size {
		prefix := state.QueryPrefix(queryID(name))
		var s size
		require.NoError(t, state.ScanPrefix(eng.store, prefix, func(k, v []byte) error {
			if strings.HasPrefix(string(k[len(prefix):]), "op/") {
				s.keys++
				s.bytes += len(k) + len(v)
			}
			return nil
		}))
		return s
	}
	stateBytes := func(name string) int64 {
		var n int64
		require.NoError(t, c.QueryRow(ctx, "SELECT state_bytes FROM weir_catalog.queries WHERE name = $1", name).Scan(&n))
		return n
	}

	// Rows in event-time order with a little disorder (less than the 2 s
	// delay), so nothing is late.
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	total := windows * keys * rowsPerKeySe
	var vals []string
	inserted := 0
	at10 := map[string]size{}
	at10Bytes := map[string]int64{}
	tumbles := map[string]bool{} // key and 1 s window of each row
	for i := range total {
		ms := i * 1000 / (keys * rowsPerKeySe) // advances 1 s per keys*rowsPerKeySe rows
		ms -= (i * 7919) % 900                 // disorder up to 0.9 s
		ms = max(ms, 0)
		ts := base.Add(time.Duration(ms) * time.Millisecond).Format("2006-01-02 15:04:05.000")
		vals = append(vals, fmt.Sprintf("('k%d', %d, '%s')", i%keys, i%1000, ts))
		tumbles[fmt.Sprintf("k%d/%d", i%keys, ms/1000)] = true
		if len(vals) == perInsert || i == total-1 {
			exec("INSERT INTO sev VALUES " + strings.Join(vals, ", "))
			exec("FLUSH")
			inserted += len(vals)
			vals = vals[:0]
			if inserted == total/10 {
				for name := range views {
					at10[name], at10Bytes[name] = opState(name), stateBytes(name)
				}
			}
		}
	}
	require.Len(t, at10, len(views), "measured at 10%")

	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT sum(n) FROM st_tumble").Scan(&n))
	require.EqualValues(t, total, n, "every row counted once")
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM st_tumble").Scan(&n))
	require.EqualValues(t, len(tumbles), n, "the default-mode MV keeps every window's row")

	for name := range views {
		end := opState(name)
		t.Logf("%-10s operator state after 10%% of the input: %4d keys %7d bytes; after 100%%: %4d keys %7d bytes "+
			"(weir_catalog state_bytes, on-disk estimate incl. MV rows and changelog: %d → %d)",
			name, at10[name].keys, at10[name].bytes, end.keys, end.bytes, at10Bytes[name], stateBytes(name))
		require.NotZero(t, at10[name].keys, "%s keeps state for its open windows", name)
		// Ten times the input; the state must not follow: allow a factor
		// of 2 (open windows vary with where the watermark stands).
		require.LessOrEqual(t, end.keys, 2*at10[name].keys+keys, "%s: operator state keys grew with the input", name)
		require.LessOrEqual(t, end.bytes, 2*at10[name].bytes+1024, "%s: operator state bytes grew with the input", name)
	}
}
