package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// startEngineServer runs a Server over the real Engine with a temp data
// dir (the session tests exercise session.go, not the protocol).
func startEngineServer(t *testing.T) *testServer {
	t.Helper()
	cfg := Config{
		DataDir: t.TempDir(),
		HTTP:    "off",
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Version: "test",
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{srv: srv, addr: ln.Addr().String(), serveCh: make(chan error, 1)}
	go func() { ts.serveCh <- srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return ts
}

// A syntax error anywhere in a simple Query runs none of it, and the
// position counts from the start of the message.
func TestSimpleQuerySyntaxErrorRunsNothing(t *testing.T) {
	ts := startEngineServer(t)
	ctx := testCtx(t)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)

	_, err := c.Exec(ctx, "CREATE TABLE a (x INT); INSERT INTO a VALUES (1); SELEC 2")
	pe := pgErr(t, err)
	require.Equal(t, "42601", pe.Code)
	require.EqualValues(t, 51, pe.Position, "position of SELEC in the whole message")

	_, err = c.Exec(ctx, "SELECT count(*) FROM a")
	require.Equal(t, "42P01", pgErr(t, err).Code, "the CREATE TABLE before the error must not have run")

	// Names still resolve statement by statement.
	_, err = c.Exec(ctx, "CREATE TABLE a (x INT); INSERT INTO a VALUES (1), (2)")
	require.NoError(t, err)
	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM a").Scan(&n))
	require.EqualValues(t, 2, n)
}

// Inside a transaction block an error puts the session in the failed state
// until ROLLBACK, as in PostgreSQL.
func TestFailedTransactionBlock(t *testing.T) {
	ts := startEngineServer(t)
	ctx := testCtx(t)
	c := ts.connect(t, pgx.QueryExecModeSimpleProtocol)

	_, err := c.Exec(ctx, "BEGIN")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "SELECT 1/0")
	require.Equal(t, "22012", pgErr(t, err).Code)
	_, err = c.Exec(ctx, "SELECT 1")
	require.Equal(t, "25P02", pgErr(t, err).Code)
	tag, err := c.Exec(ctx, "COMMIT")
	require.NoError(t, err)
	require.Equal(t, "ROLLBACK", tag.String())
	var one int
	require.NoError(t, c.QueryRow(ctx, "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
}

// A prepared statement is bound again when the catalog changed since it
// was prepared, so it never reads a dropped table.
func TestPreparedRebindsAfterDDL(t *testing.T) {
	ts := startEngineServer(t)
	ctx := testCtx(t)
	c := ts.connect(t, pgx.QueryExecModeCacheStatement)

	_, err := c.Exec(ctx, "CREATE TABLE r (x BIGINT)")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "INSERT INTO r VALUES ($1)", int64(7))
	require.NoError(t, err)
	var n int64
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM r WHERE x = $1", int64(7)).Scan(&n))
	require.EqualValues(t, 1, n)

	_, err = c.Exec(ctx, "DROP TABLE r")
	require.NoError(t, err)
	_, err = c.Exec(ctx, "CREATE TABLE r (x BIGINT)")
	require.NoError(t, err)
	require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM r WHERE x = $1", int64(7)).Scan(&n))
	require.EqualValues(t, 0, n, "the cached statement must read the new, empty table")
}
