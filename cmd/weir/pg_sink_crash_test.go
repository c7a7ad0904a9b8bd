package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

// The PostgreSQL sink crash test: SPEC's "Postgres sink: each batch is
// applied exactly once", on the real binary. weir runs an upsert sink from
// an aggregate MV and an append sink of the raw rows into a real
// PostgreSQL while a writer inserts and weir is SIGKILLed at random
// instants, delivery included. At the end the upsert target must equal the
// MV, the append target must equal weir's table as a multiset (a batch
// applied twice would duplicate rows, one skipped would lose them), and each
// sink's progress row must name a batch of the sink (its last with changes).

const pgSinkCrashDefaultKills = 8

// pgSinkDatabase creates a fresh database on the PostgreSQL server and
// returns its URL and a connection to it.
func pgSinkDatabase(t *testing.T, ctx context.Context, base string) (string, *pgx.Conn) {
	t.Helper()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	name := fmt.Sprintf("pgsink_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	conn, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close(context.Background())
		_, _ = admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		_ = admin.Close(context.Background())
	})
	return u.String(), conn
}

// pgSinkWriter inserts random rows until ctx ends, reconnecting while the
// server is down. Whether a statement cut off by a kill committed does not
// matter: the check compares with what weir's table holds.
func pgSinkWriter(ctx context.Context, srv *crashServer, rng *rand.Rand) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	for ctx.Err() == nil {
		if conn == nil {
			addr := srv.get()
			if addr == "" {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			c, err := pgx.Connect(ctx, connURL(addr))
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			conn = c
		}
		sql := "INSERT INTO ev VALUES "
		for i := range 1 + rng.IntN(20) {
			if i > 0 {
				sql += ", "
			}
			sql += fmt.Sprintf("(%d, %d)", rng.IntN(50), rng.IntN(1000)-100)
		}
		if _, err := conn.Exec(ctx, sql); err != nil {
			_ = conn.Close(context.Background())
			conn = nil
		}
		time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
	}
}

func TestPGSinkCrash(t *testing.T) {
	bin := buildWeir(t)
	base := pgoracle.Start(t)
	minKills := envInt(t, "WEIR_CRASH_KILLS", pgSinkCrashDefaultKills)
	seed := crashSeed(t)
	t.Logf("seed %d (rerun with WEIR_CRASH_SEED=%d), at least %d kills", seed, seed, minKills)
	rng := rand.New(rand.NewPCG(seed, 0x5e9c))
	env := []string{"WEIR_TRIGGER_INTERVAL=20ms"}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	pgURL, pg := pgSinkDatabase(t, ctx, base)

	dataDir := t.TempDir()
	cmd, addr, tail := startServe(t, bin, dataDir, env...)
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	for _, sql := range []string{
		"CREATE TABLE ev (k bigint, v bigint)",
		"CREATE MATERIALIZED VIEW agg AS SELECT k, count(*) AS c, sum(v) AS s FROM ev GROUP BY k",
		fmt.Sprintf("CREATE SINK agg_pg FROM agg WITH (connector = 'postgres', url = '%s', table = 'agg_out', create_table = 'true')", pgURL),
		fmt.Sprintf("CREATE SINK ev_pg AS SELECT k, v FROM ev WITH (connector = 'postgres', url = '%s', table = 'ev_out', type = 'append', create_table = 'true')", pgURL),
	} {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, "%s; log:\n%s", sql, tail)
	}
	require.NoError(t, conn.Close(ctx))

	srv := &crashServer{addr: addr}
	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		pgSinkWriter(wctx, srv, rand.New(rand.NewPCG(rng.Uint64(), 2)))
	}()

	for kill := 0; kill < minKills; kill++ {
		time.Sleep(time.Duration(20+rng.IntN(400)) * time.Millisecond)
		srv.set("")
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		if kill == minKills-1 {
			stopWriter()
			<-writerDone
		}
		cmd, addr, tail = startServe(t, bin, dataDir, env...)
		srv.set(addr)
	}

	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	defer conn.Close(ctx)
	flush(t, ctx, conn, tail)
	mv := queryLines(t, ctx, conn, "SELECT k, c, s FROM agg ORDER BY k")
	direct := queryLines(t, ctx, conn, "SELECT k, count(*), sum(v) FROM ev GROUP BY k ORDER BY k")
	require.Equal(t, direct, mv, "the MV equals its query over the table")
	rows := queryLines(t, ctx, conn, "SELECT k, v FROM ev ORDER BY k, v")
	require.NotEmpty(t, rows)

	// Delivery follows the commits: wait until both targets caught up with
	// the sinks' last batches.
	var lastAgg, lastEv, progAgg, progEv int64
	var gotAgg, gotEv []string
	deadline := time.Now().Add(2 * time.Minute)
	for {
		require.NoError(t, conn.QueryRow(ctx, "SELECT batch_id FROM weir_catalog.queries WHERE name = 'agg_pg'").Scan(&lastAgg))
		require.NoError(t, conn.QueryRow(ctx, "SELECT batch_id FROM weir_catalog.queries WHERE name = 'ev_pg'").Scan(&lastEv))
		require.NoError(t, pg.QueryRow(ctx, "SELECT coalesce(max(batch_id) FILTER (WHERE sink = 'agg_pg'), 0), coalesce(max(batch_id) FILTER (WHERE sink = 'ev_pg'), 0) FROM weir_sink_progress").Scan(&progAgg, &progEv))
		gotAgg = queryLines(t, ctx, pg, "SELECT k, c, s FROM agg_out ORDER BY k")
		gotEv = queryLines(t, ctx, pg, "SELECT k, v FROM ev_out ORDER BY k, v")
		if diffLines(mv, gotAgg) == "" && diffLines(rows, gotEv) == "" {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The outbox stages no empty batch, so the last applied batch is the
	// sink's last batch with changes: at most its current batch id.
	require.Positive(t, progAgg, "agg_pg progress; log:\n%s", tail)
	require.LessOrEqual(t, progAgg, lastAgg, "agg_pg progress; log:\n%s", tail)
	require.Positive(t, progEv, "ev_pg progress; log:\n%s", tail)
	require.LessOrEqual(t, progEv, lastEv, "ev_pg progress; log:\n%s", tail)
	require.Empty(t, diffLines(mv, gotAgg), "agg_out differs from the MV")
	require.Empty(t, diffLines(rows, gotEv), "ev_out differs from the table (a batch applied twice or lost)")
	t.Logf("pg sink crash: %d kills, %d table rows, %d MV rows, batches agg_pg %d, ev_pg %d", minKills, len(rows), len(mv), lastAgg, lastEv)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "log:\n%s", tail)
}
