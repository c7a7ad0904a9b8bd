package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// TestWindowRandomSplits runs the input of window_split_input_test.go
// through `weir serve` in random splits; see the comment there.

const winSplitTable = "CREATE TABLE wev (k TEXT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)"

// winSplitViews are the MVs under test: window kind × emit mode.
var winSplitViews = []mvCrashView{
	{"w_tumble", `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
	  FROM TUMBLE(wev, ts, INTERVAL '2' SECOND) GROUP BY k, window_start, window_end`},
	{"w_hop", `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
	  FROM HOP(wev, ts, INTERVAL '1' SECOND, INTERVAL '3' SECOND) GROUP BY k, window_start, window_end`},
	{"w_session", `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s, max(v) AS hi
	  FROM SESSION(wev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end`},
	{"w_tumble_eowc", `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
	  FROM TUMBLE(wev, ts, INTERVAL '2' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE`},
	{"w_session_eowc", `SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
	  FROM SESSION(wev, ts, INTERVAL '1' SECOND) GROUP BY k, window_start, window_end EMIT ON WINDOW CLOSE`},
}

// splitRun is one run: a server on a fresh data directory fed the input
// in splits drawn from rng.
// splitRun is one run of a random-split test (windows, joins): a real
// weir on its own data directory, restarted gracefully or killed between
// statements, with counts of what happened.
type splitRun struct {
	t        *testing.T
	bin, dir string
	cmd      *exec.Cmd
	addr     string
	tail     *logTail
	conn     *pgx.Conn

	graceful, killed, flushes, stmts int
}

func (r *splitRun) start(ctx context.Context) {
	cmd, addr, tail := startServe(r.t, r.bin, r.dir, "WEIR_TRIGGER_INTERVAL=10ms")
	r.cmd, r.addr, r.tail = cmd, addr, tail
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(r.t, err, "log:\n%s", tail)
	r.conn = conn
}

// restart stops the server (SIGTERM and a clean exit, or SIGKILL) and
// starts it again on the same data directory.
func (r *splitRun) restart(ctx context.Context, graceful bool) {
	_ = r.conn.Close(ctx)
	if graceful {
		require.NoError(r.t, r.cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(r.t, r.cmd.Wait(), "weir must exit 0 after SIGTERM; log:\n%s", r.tail)
		r.graceful++
	} else {
		require.NoError(r.t, r.cmd.Process.Signal(syscall.SIGKILL))
		_ = r.cmd.Wait()
		r.killed++
	}
	r.start(ctx)
}

func (r *splitRun) exec(ctx context.Context, sql string) {
	_, err := r.conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(r.t, err, "%s\nlog:\n%s", sql, r.tail)
}

// feed writes the groups in random INSERT sizes, with random FLUSHes and
// restarts between statements (a FLUSH after every group when
// flushGroups), then FLUSHes and reads every MV.
func (r *splitRun) feed(ctx context.Context, groups [][]winRow, rng *rand.Rand, flushGroups bool) map[string][]string {
	r.start(ctx)
	r.exec(ctx, winSplitTable)
	for _, v := range winSplitViews {
		r.exec(ctx, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query)
	}
	for _, g := range groups {
		for rest := g; len(rest) > 0; {
			n := min(len(rest), 1+rng.IntN(12))
			vals := make([]string, n)
			for i, row := range rest[:n] {
				vals[i] = fmt.Sprintf("(%s, %d, '%s')", sqlQuote(row.k), row.v, winTime(row.ts))
			}
			r.exec(ctx, "INSERT INTO wev VALUES "+strings.Join(vals, ", "))
			r.stmts++
			rest = rest[n:]
			switch x := rng.IntN(100); {
			case x < 10:
				r.exec(ctx, "FLUSH")
				r.flushes++
			case x < 13:
				r.restart(ctx, true)
			case x < 16:
				// Often while batches of the rows just acknowledged run.
				r.restart(ctx, false)
			}
		}
		if flushGroups {
			r.exec(ctx, "FLUSH")
			r.flushes++
		}
	}
	r.exec(ctx, "FLUSH")
	got := map[string][]string{}
	for _, v := range winSplitViews {
		got[v.name] = queryLines(r.t, ctx, r.conn, "SELECT * FROM "+v.name)
	}
	var stored, input int64
	require.NoError(r.t, r.conn.QueryRow(ctx, "SELECT count(*) FROM wev").Scan(&stored))
	for _, g := range groups {
		input += int64(len(g))
	}
	require.Equal(r.t, input, stored, "every acknowledged row is in the table once")
	_ = r.conn.Close(ctx)
	require.NoError(r.t, r.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(r.t, r.cmd.Wait(), "log:\n%s", r.tail)
	return got
}

func TestWindowRandomSplits(t *testing.T) {
	bin := buildWeir(t)
	runs := envInt(t, "WEIR_WINDOW_SPLIT_RUNS", 3)
	seed := uint64(time.Now().UnixNano())
	if s := envInt(t, "WEIR_WINDOW_SPLIT_SEED", 0); s != 0 {
		seed = uint64(s)
	}
	t.Logf("seed %d (rerun with WEIR_WINDOW_SPLIT_SEED=%d), %d runs per variant", seed, seed, runs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	for _, variant := range []struct {
		name string
		late bool
	}{{"on_time", false}, {"late", true}} {
		t.Run(variant.name, func(t *testing.T) {
			groups := winInput(seed, variant.late)
			want := winExpected(groups)
			nLate := 0
			for _, g := range groups {
				for _, r := range g {
					if r.late {
						nLate++
					}
				}
			}
			var first map[string][]string
			for run := range runs {
				rng := rand.New(rand.NewPCG(seed, uint64(run)+1))
				r := &splitRun{t: t, bin: bin, dir: t.TempDir()}
				got := r.feed(ctx, groups, rng, variant.late)
				for _, v := range winSplitViews {
					if d := diffLines(want[v.name], got[v.name]); d != "" {
						t.Errorf("run %d: MV %s differs from the direct computation:\n%s", run, v.name, d)
					}
					if first != nil {
						require.Equal(t, first[v.name], got[v.name], "run %d: MV %s differs from run 0", run, v.name)
					}
				}
				first = got
				t.Logf("run %d: %d statements, %d FLUSHes, %d graceful restarts, %d SIGKILLs; %d late rows in the input",
					run, r.stmts, r.flushes, r.graceful, r.killed, nLate)
			}
			rows := 0
			for _, v := range winSplitViews {
				rows += len(want[v.name])
			}
			t.Logf("%d MV rows compared per run", rows)
		})
	}
}
