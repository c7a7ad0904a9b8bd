package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/state"
)

// TestJoinStateBounded feeds a long input to an interval join and a window
// join (docs/joins.md: their state is dropped once the watermark makes a
// match impossible) and measures each query's operator state — the keys
// and bytes under q/<id>/op/, read from the store while the server is
// stopped (gracefully) — after 10% and after 100% of the input: it must
// not grow with the input, while a regular join over the same rows, kept
// as the contrast, grows with it.
func TestJoinStateBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const (
		rows = 60_000 // per table; event time advances 10 ms per row: 600 s
		keys = 50
	)
	bin := buildWeir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var (
		cmd  *exec.Cmd
		tail *logTail
		conn *pgx.Conn
	)
	start := func() {
		var addr string
		cmd, addr, tail = startServe(t, bin, dir, "WEIR_TRIGGER_INTERVAL=50ms")
		var err error
		conn, err = pgx.Connect(ctx, connURL(addr))
		require.NoError(t, err, "log:\n%s", tail)
	}
	stop := func() {
		_ = conn.Close(ctx)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), "log:\n%s", tail)
	}
	start()
	ex := func(sql string) {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err, "%s\nlog:\n%s", sql, tail)
	}
	ex("CREATE TABLE sa (k BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)")
	ex("CREATE TABLE sb (k BIGINT, w BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)")
	// Created in this order: their query ids ascend in it.
	views := []string{"s_interval", "s_window", "s_regular"}
	ex(`CREATE MATERIALIZED VIEW s_interval AS SELECT sa.k, sa.v, sb.w FROM sa LEFT JOIN sb
	  ON sa.k = sb.k AND sb.ts BETWEEN sa.ts - INTERVAL '1' SECOND AND sa.ts + INTERVAL '1' SECOND`)
	ex(`CREATE MATERIALIZED VIEW s_window AS SELECT a.k, a.window_start, a.v, b.w
	  FROM TUMBLE(sa, ts, INTERVAL '2' SECOND) a JOIN TUMBLE(sb, ts, INTERVAL '2' SECOND) b
	  ON a.k = b.k AND a.window_start = b.window_start`)
	ex(`CREATE MATERIALIZED VIEW s_regular AS SELECT sa.k, sa.v, sb.w FROM sa JOIN sb ON sa.k = sb.k AND sa.v = sb.w`)

	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	load := func(from, to int) {
		for _, tbl := range []string{"sa", "sb"} {
			var b strings.Builder
			for i := from; i < to; i++ {
				ts := base.Add(time.Duration(i) * 10 * time.Millisecond).Format("2006-01-02 15:04:05.000")
				fmt.Fprintf(&b, "%d\t%d\t%s\n", (i*7+len(tbl))%keys, i%1000, ts)
			}
			_, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(b.String()), "COPY "+tbl+" FROM STDIN")
			require.NoError(t, err, "log:\n%s", tail)
		}
		ex("FLUSH")
	}
	type size struct{ keys, bytes, mvRows int64 }
	// measure stops the server, reads every query's operator state from
	// the store, and starts the server again.
	measure := func() map[string]size {
		out := map[string]size{}
		for _, v := range views {
			var s size
			require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM "+v).Scan(&s.mvRows))
			out[v] = s
		}
		stop()
		st, err := state.Open(dir, state.Options{})
		require.NoError(t, err)
		it, err := st.NewIter([]byte("q/"), []byte("q0"))
		require.NoError(t, err)
		perQuery := map[uint64]size{}
		var ids []uint64
		for ok := it.First(); ok; ok = it.Next() {
			k := it.Key()
			if len(k) < 2+8+4 || string(k[10:14]) != "/op/" {
				continue
			}
			id := binary.BigEndian.Uint64(k[2:10])
			s, seen := perQuery[id]
			if !seen {
				ids = append(ids, id)
			}
			s.keys++
			s.bytes += int64(len(k) + len(it.Value()))
			perQuery[id] = s
		}
		require.NoError(t, it.Close())
		require.NoError(t, st.Close())
		require.Len(t, ids, len(views), "one query with operator state per view")
		slices.Sort(ids)
		for i, v := range views {
			s := out[v]
			s.keys, s.bytes = perQuery[ids[i]].keys, perQuery[ids[i]].bytes
			out[v] = s
		}
		start()
		return out
	}
	load(0, rows/10)
	at10 := measure()
	for from := rows / 10; from < rows; from += rows / 10 {
		load(from, from+rows/10)
	}
	at100 := measure()
	defer stop()
	for _, v := range views {
		t.Logf("%-10s operator state: %6d keys / %8d bytes at 10%% of the input, %6d keys / %8d bytes at 100%% (MV rows %d → %d)",
			v, at10[v].keys, at10[v].bytes, at100[v].keys, at100[v].bytes, at10[v].mvRows, at100[v].mvRows)
		require.Greater(t, at100[v].mvRows, 5*at10[v].mvRows, "%s: the output grows with the input", v)
	}
	for _, v := range []string{"s_interval", "s_window"} {
		require.Positive(t, at10[v].keys, v)
		require.LessOrEqual(t, at100[v].bytes, 2*at10[v].bytes, "%s: join state must stay bounded", v)
	}
	require.Greater(t, at100["s_regular"].bytes, 5*at10["s_regular"].bytes, "a regular join keeps every row")
}
