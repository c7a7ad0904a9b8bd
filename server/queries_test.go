package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/state"
)

// startEngineServerAt runs a Server over the real Engine on dir.
func startEngineServerAt(t *testing.T, dir string) *testServer {
	t.Helper()
	srv, err := New(Config{DataDir: dir, HTTP: "off", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: srv, addr: ln.Addr().String(), serveCh: make(chan error, 1)}
	go func() { ts.serveCh <- srv.Serve(ln) }()
	return ts
}

// State that cannot be loaded marks its query needs_rebuild with the
// reason; the server starts, other queries run, and REBUILD recovers it.
func TestDamagedStateNeedsRebuild(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	ts := startEngineServerAt(t, dir)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	for _, sql := range []string{
		"CREATE TABLE t (k TEXT, v BIGINT)",
		"CREATE MATERIALIZED VIEW agg AS SELECT k, sum(v) AS s FROM t GROUP BY k",
		"CREATE MATERIALIZED VIEW rows AS SELECT k, v FROM t WHERE v > 1",
		"INSERT INTO t VALUES ('a', 1), ('a', 2), ('b', 3)",
		"FLUSH",
	} {
		_, err := c.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	require.NoError(t, c.Close(ctx))
	require.NoError(t, ts.srv.Shutdown(context.Background()))

	// Damage every operator-state value (only agg has any): an unknown
	// format version.
	st, err := state.Open(dir, state.Options{})
	require.NoError(t, err)
	damaged := 0
	require.NoError(t, state.ScanPrefix(st, []byte("q/"), func(k, v []byte) error {
		if strings.Contains(string(k), "/op/") {
			bad := append([]byte{0xee}, v[1:]...)
			damaged++
			return st.Set(append([]byte(nil), k...), bad, true)
		}
		return nil
	}))
	require.NotZero(t, damaged, "agg has operator state")
	require.NoError(t, st.Close())

	ts = startEngineServerAt(t, dir)
	t.Cleanup(func() { _ = ts.srv.Shutdown(context.Background()) })
	c = ts.connect(t, pgx.QueryExecModeSimpleProtocol)
	var status, reason string
	require.NoError(t, c.QueryRow(ctx, "SELECT status, coalesce(error, '') FROM weir_catalog.queries WHERE name = 'agg'").Scan(&status, &reason))
	require.Equal(t, "needs_rebuild", status)
	require.Contains(t, reason, "state cannot be loaded")

	// The other query keeps running.
	_, err = c.Exec(ctx, "INSERT INTO t VALUES ('c', 5)")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "FLUSH")
	require.NoError(t, err)
	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM rows").Scan(&n))
	require.EqualValues(t, 3, n)

	// REBUILD recomputes it from its inputs.
	_, err = c.Exec(ctx, "ALTER MATERIALIZED VIEW agg REBUILD")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "FLUSH")
	require.NoError(t, err)
	var s int64
	require.NoError(t, c.QueryRow(ctx, "SELECT s FROM agg WHERE k = 'a'").Scan(&s))
	require.EqualValues(t, 3, s)
	require.NoError(t, c.QueryRow(ctx, "SELECT status FROM weir_catalog.queries WHERE name = 'agg'").Scan(&status))
	require.Equal(t, "running", status)
}
