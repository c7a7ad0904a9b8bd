package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

// TestNexmarkJoinsMatchPostgres runs Nexmark q3, q4, q7 and q8
// (bench_nexmark.go) as MVs over nexmark sources in `weir serve`, copies
// the generated person, auction and bid rows into PostgreSQL (read back
// with SELECT * from the same sources), and checks every MV against the
// standard formulation of its query computed there.
func TestNexmarkJoinsMatchPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const events = 400_000 // 40 s of event time: several 10 s windows
	bin := buildWeir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, addr, tail := startServe(t, bin, t.TempDir(), "WEIR_TRIGGER_INTERVAL=50ms")
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	defer conn.Close(ctx)
	opts := fmt.Sprintf("events = '%d', partitions = '2'", events)
	for _, ddl := range nexmarkJoinSources {
		_, err := conn.Exec(ctx, fmt.Sprintf(ddl, "nx", opts))
		require.NoError(t, err)
	}
	for _, q := range nexmarkJoinQueries {
		_, err := conn.Exec(ctx, "CREATE MATERIALIZED VIEW "+q.name+" AS "+fmt.Sprintf(q.sql, "nx"))
		require.NoError(t, err, q.name)
	}
	_, err = conn.Exec(ctx, "FLUSH")
	require.NoError(t, err, "log:\n%s", tail)
	got := map[string][]string{}
	for _, q := range nexmarkJoinQueries {
		got[q.name] = queryLines(t, ctx, conn, "SELECT * FROM "+q.name)
	}

	base := pgoracle.Start(t)
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer admin.Close(ctx)
	db := fmt.Sprintf("nexmark_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+db)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + db
	pg, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	defer pg.Close(ctx)
	for _, tbl := range []struct{ name, cols string }{
		{"person", "id BIGINT, name TEXT, email_address TEXT, credit_card TEXT, city TEXT, state TEXT, date_time TIMESTAMP, extra TEXT"},
		{"auction", "id BIGINT, item_name TEXT, description TEXT, initial_bid BIGINT, reserve BIGINT, date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra TEXT"},
		{"bid", "auction BIGINT, bidder BIGINT, price BIGINT, channel TEXT, url TEXT, date_time TIMESTAMP, extra TEXT"},
	} {
		_, err := pg.Exec(ctx, "CREATE TABLE "+tbl.name+" ("+tbl.cols+")")
		require.NoError(t, err)
		// The generated rows, as weir serves them, copied over in text form.
		var buf strings.Builder
		_, err = conn.PgConn().CopyTo(ctx, &buf, "COPY (SELECT * FROM nx_"+tbl.name+") TO STDOUT")
		if err != nil {
			// COPY (query) TO may be unsupported: read rows instead.
			buf.Reset()
			for _, line := range queryLines(t, ctx, conn, "SELECT * FROM nx_"+tbl.name) {
				buf.WriteString(strings.ReplaceAll(strings.ReplaceAll(line, "|", "\t"), "NULL", `\N`) + "\n")
			}
		}
		_, err = pg.PgConn().CopyFrom(ctx, strings.NewReader(buf.String()), "COPY "+tbl.name+" FROM STDIN")
		require.NoError(t, err, tbl.name)
	}
	for _, q := range nexmarkJoinQueries {
		want := queryLines(t, ctx, pg, q.pg)
		require.NotEmpty(t, want, q.name)
		if d := diffLines(want, got[q.name]); d != "" {
			t.Errorf("Nexmark %s: the MV differs from PostgreSQL:\n%s", q.name, d)
		}
		t.Logf("%s: %d rows equal to PostgreSQL's", q.name, len(want))
	}
}
