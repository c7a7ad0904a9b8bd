package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

// TestJoinRandomSplits is the metamorphic test of the streaming joins
// (docs/joins.md) on the real binary: one seeded input — two append-only
// event tables with watermarks, a primary-key table taking upserts,
// UPDATEs and DELETEs, and a primary-key table read by lookups — is fed
// to fresh `weir serve` processes in random INSERT sizes, with random
// FLUSHes, graceful restarts and SIGKILLs between statements. For every
// join kind (regular inner/left/right/full and an aggregate over one,
// interval inner/left, window inner and a join of per-window aggregates,
// lookup left) the final MV must be identical in every run and equal to
// the join computed by PostgreSQL over the same rows.
//
// The input is free of late rows under any batch split: event times grow
// with the statement order up to a jitter below the watermark delay, so no
// row is ever below the watermark. The lookup table changes only between
// two phases separated by a FLUSH, so processing time is known: phase 1's
// events see its first version, phase 2's its second.
//
//	WEIR_JOIN_SPLIT_RUNS  runs with different splits (default 2)
//	WEIR_JOIN_SPLIT_SEED  seed of the input and the splits (default: time-based, logged)

const (
	joinSplitEvents = 500 // rows of je; jf gets about as many
	joinSplitKeys   = 12
	joinSplitDelay  = 3 * time.Second
)

var joinSplitTables = []string{
	"CREATE TABLE je (id BIGINT, k BIGINT, v BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)",
	"CREATE TABLE jf (id BIGINT, k BIGINT, w BIGINT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '3' SECOND)",
	"CREATE TABLE jd (k BIGINT PRIMARY KEY, name TEXT)",
	"CREATE TABLE jl (k BIGINT PRIMARY KEY, label TEXT)",
}

// joinSplitView is an MV under test with its PostgreSQL formulation (the
// same query when pg is empty). A view with pgTable is a table on
// PostgreSQL, filled per phase by pgFill (lookup joins).
type joinSplitView struct {
	name, query, pg string
	pgTable, pgFill string
}

var joinSplitViews = []joinSplitView{
	{name: "r_inner", query: `SELECT je.id, je.v, jd.name FROM je JOIN jd ON je.k = jd.k`},
	{name: "r_left", query: `SELECT je.id, jd.k, jd.name FROM je LEFT JOIN jd ON je.k = jd.k`},
	{name: "r_right", query: `SELECT je.id, jd.k, jd.name FROM je RIGHT JOIN jd ON jd.k = je.k`},
	{name: "r_full", query: `SELECT je.id, je.k AS ek, jd.k, jd.name FROM je FULL JOIN jd ON je.k = jd.k AND je.v > 10`},
	{name: "r_agg", query: `SELECT jd.name, count(*) AS n, sum(je.v) AS s, count(je.id) AS matched
	  FROM jd LEFT JOIN je ON je.k = jd.k GROUP BY jd.name`},
	{name: "i_inner", query: `SELECT je.id AS eid, jf.id AS fid, jf.w FROM je JOIN jf
	  ON je.k = jf.k AND jf.ts BETWEEN je.ts - INTERVAL '2' SECOND AND je.ts + INTERVAL '1' SECOND`},
	{name: "i_left", query: `SELECT je.id AS eid, jf.id AS fid FROM je LEFT JOIN jf
	  ON je.k = jf.k AND jf.ts >= je.ts AND jf.ts <= je.ts + INTERVAL '2' SECOND`,
		pg: `SELECT je.id AS eid, jf.id AS fid FROM je LEFT JOIN jf
	  ON je.k = jf.k AND jf.ts >= je.ts AND jf.ts <= je.ts + INTERVAL '2' SECOND
	  WHERE jf.id IS NOT NULL
	     OR je.ts + INTERVAL '2' SECOND < least((SELECT max(ts) FROM je), (SELECT max(ts) FROM jf)) - INTERVAL '3' SECOND`},
	{name: "w_inner", query: `SELECT a.id AS eid, b.id AS fid, a.window_start FROM TUMBLE(je, ts, INTERVAL '5' SECOND) a
	  JOIN TUMBLE(jf, ts, INTERVAL '5' SECOND) b ON a.k = b.k AND a.window_start = b.window_start`,
		pg: `SELECT a.id AS eid, b.id AS fid, date_bin(INTERVAL '5 seconds', a.ts, TIMESTAMP '1970-01-01') AS window_start
	  FROM je a JOIN jf b ON a.k = b.k
	   AND date_bin(INTERVAL '5 seconds', a.ts, TIMESTAMP '1970-01-01') = date_bin(INTERVAL '5 seconds', b.ts, TIMESTAMP '1970-01-01')`},
	{name: "w_agg", query: `SELECT x.k, x.window_start, x.n, y.m, y.top
	  FROM (SELECT k, window_start, window_end, count(*) AS n FROM TUMBLE(je, ts, INTERVAL '5' SECOND) GROUP BY k, window_start, window_end) x
	  JOIN (SELECT k, window_start, window_end, count(*) AS m, max(w) AS top FROM TUMBLE(jf, ts, INTERVAL '5' SECOND) GROUP BY k, window_start, window_end) y
	  ON x.k = y.k AND x.window_start = y.window_start AND x.window_end = y.window_end`,
		pg: `SELECT x.k, x.ws, x.n, y.m, y.top
	  FROM (SELECT k, date_bin(INTERVAL '5 seconds', ts, TIMESTAMP '1970-01-01') AS ws, count(*) AS n FROM je GROUP BY 1, 2) x
	  JOIN (SELECT k, date_bin(INTERVAL '5 seconds', ts, TIMESTAMP '1970-01-01') AS ws, count(*) AS m, max(w) AS top FROM jf GROUP BY 1, 2) y
	  ON x.k = y.k AND x.ws = y.ws`},
	{name: "l_left", query: `SELECT je.id, l.label FROM je LEFT JOIN jl FOR SYSTEM_TIME AS OF PROCTIME() AS l ON je.k = l.k`,
		pgTable: "CREATE TABLE l_left (id BIGINT, label TEXT)",
		pgFill:  "INSERT INTO l_left SELECT je.id, l.label FROM je LEFT JOIN jl l ON je.k = l.k WHERE je.id BETWEEN %d AND %d"},
}

// joinStmt is one unit of the input: rows for je or jf (split at random
// into INSERTs), or one statement on jd.
type joinStmt struct {
	table string   // "je", "jf", or "" for sql
	rows  []string // VALUES tuples
	sql   string
}

// joinSplitInput is the input: phase 1 and phase 2 statements, the jl
// versions written before each phase, and the last je id of phase 1.
type joinSplitInput struct {
	phases    [2][]joinStmt
	lookup    [2][]string
	phase1End int
}

func joinInput(seed uint64) joinSplitInput {
	rng := rand.New(rand.NewPCG(seed, 0x701))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var in joinSplitInput
	in.lookup[0] = []string{"INSERT INTO jl VALUES (0, 'l0'), (1, 'l1'), (2, 'l2'), (3, 'l3'), (5, 'l5'), (8, 'l8')"}
	in.lookup[1] = []string{"UPDATE jl SET label = upper(label) WHERE k < 3", "DELETE FROM jl WHERE k = 5",
		"INSERT INTO jl VALUES (6, 'l6'), (8, 'l8bis')"}
	eid, fid := 0, 0
	clock := time.Duration(0)
	names := []string{"ann", "bob", "cy", "dee"}
	for phase := range 2 {
		var stmts []joinStmt
		for eid < joinSplitEvents*(phase+1)/2 {
			// Event time: a clock that only grows, plus a jitter below
			// the watermark delay (so never late).
			clock += time.Duration(rng.IntN(400)) * time.Millisecond
			ts := base.Add(clock + time.Duration(rng.IntN(int(joinSplitDelay/time.Millisecond)-1))*time.Millisecond)
			tsText := ts.Format("2006-01-02 15:04:05.000")
			k := rng.IntN(joinSplitKeys)
			switch x := rng.IntN(100); {
			case x < 45:
				eid++
				kv := fmt.Sprint(k)
				if rng.IntN(30) == 0 {
					kv = "NULL"
				}
				stmts = appendRow(stmts, "je", fmt.Sprintf("(%d, %s, %d, '%s')", eid, kv, rng.IntN(40), tsText))
			case x < 90:
				fid++
				stmts = appendRow(stmts, "jf", fmt.Sprintf("(%d, %d, %d, '%s')", fid, k, rng.IntN(1000), tsText))
			case x < 96:
				stmts = append(stmts, joinStmt{sql: fmt.Sprintf("INSERT INTO jd VALUES (%d, '%s')", k, names[rng.IntN(len(names))])})
			case x < 98:
				stmts = append(stmts, joinStmt{sql: fmt.Sprintf("UPDATE jd SET name = name || '+' WHERE k = %d", k)})
			default:
				stmts = append(stmts, joinStmt{sql: fmt.Sprintf("DELETE FROM jd WHERE k = %d", k)})
			}
		}
		in.phases[phase] = stmts
		if phase == 0 {
			in.phase1End = eid
		}
	}
	// Close every window and interval: both inputs move far ahead (keys
	// that match nothing else).
	end := base.Add(clock + time.Hour).Format("2006-01-02 15:04:05")
	in.phases[1] = append(in.phases[1],
		joinStmt{table: "je", rows: []string{fmt.Sprintf("(%d, 1000, 0, '%s')", eid+1, end)}},
		joinStmt{table: "jf", rows: []string{fmt.Sprintf("(%d, 1001, 0, '%s')", fid+1, end)}})
	return in
}

// appendRow adds a row to the last statement when it writes the same
// table, else starts one.
func appendRow(stmts []joinStmt, table, row string) []joinStmt {
	if n := len(stmts); n > 0 && stmts[n-1].table == table {
		stmts[n-1].rows = append(stmts[n-1].rows, row)
		return stmts
	}
	return append(stmts, joinStmt{table: table, rows: []string{row}})
}

// joinRun is one run on a fresh data directory; the join test adds its
// chaos and feeding to the shared splitRun.
type joinRun struct{ splitRun }

// chaos follows an acknowledged statement: sometimes a FLUSH, a graceful
// restart or a SIGKILL.
func (r *joinRun) chaos(ctx context.Context, rng *rand.Rand) {
	switch x := rng.IntN(100); {
	case x < 8:
		r.exec(ctx, "FLUSH")
		r.flushes++
	case x < 10:
		r.restart(ctx, true)
	case x < 12:
		r.restart(ctx, false)
	}
}

func (r *joinRun) feed(ctx context.Context, in joinSplitInput, rng *rand.Rand) map[string][]string {
	r.start(ctx)
	for _, sql := range joinSplitTables {
		r.exec(ctx, sql)
	}
	for _, v := range joinSplitViews {
		r.exec(ctx, "CREATE MATERIALIZED VIEW "+v.name+" AS "+v.query)
	}
	for phase, stmts := range in.phases {
		// The previous phase's rows are all processed before the lookup
		// table changes; its new version is durable (acknowledged) before
		// any row of the phase is written.
		r.exec(ctx, "FLUSH")
		for _, sql := range in.lookup[phase] {
			r.exec(ctx, sql)
		}
		for _, st := range stmts {
			if st.table == "" {
				r.exec(ctx, st.sql)
				r.stmts++
				r.chaos(ctx, rng)
				continue
			}
			for rest := st.rows; len(rest) > 0; {
				n := min(len(rest), 1+rng.IntN(10))
				r.exec(ctx, "INSERT INTO "+st.table+" VALUES "+strings.Join(rest[:n], ", "))
				r.stmts++
				rest = rest[n:]
				r.chaos(ctx, rng)
			}
		}
	}
	r.exec(ctx, "FLUSH")
	got := map[string][]string{}
	for _, v := range joinSplitViews {
		got[v.name] = queryLines(r.t, ctx, r.conn, "SELECT * FROM "+v.name)
	}
	_ = r.conn.Close(ctx)
	require.NoError(r.t, r.cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(r.t, r.cmd.Wait(), "log:\n%s", r.tail)
	return got
}

// joinOracle computes every view with PostgreSQL over the same input.
func joinOracle(t *testing.T, ctx context.Context, in joinSplitInput) map[string][]string {
	base := pgoracle.Start(t)
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer admin.Close(ctx)
	db := fmt.Sprintf("joinsplit_%d", time.Now().UnixNano())
	_, err = admin.Exec(ctx, "CREATE DATABASE "+db)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + db
	pg, err := pgx.Connect(ctx, u.String())
	require.NoError(t, err)
	defer pg.Close(ctx)
	ex := func(sql string) {
		_, err := pg.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	ex("CREATE TABLE je (id BIGINT, k BIGINT, v BIGINT, ts TIMESTAMP)")
	ex("CREATE TABLE jf (id BIGINT, k BIGINT, w BIGINT, ts TIMESTAMP)")
	ex("CREATE TABLE jd (k BIGINT PRIMARY KEY, name TEXT)")
	ex("CREATE TABLE jl (k BIGINT PRIMARY KEY, label TEXT)")
	for _, v := range joinSplitViews {
		switch {
		case v.pgTable != "":
			ex(v.pgTable)
		case v.pg != "":
			ex("CREATE VIEW " + v.name + " AS " + v.pg)
		default:
			ex("CREATE VIEW " + v.name + " AS " + v.query)
		}
	}
	first := 1
	for phase, stmts := range in.phases {
		for _, sql := range in.lookup[phase] {
			ex(pgUpsert(sql))
		}
		for _, st := range stmts {
			if st.table == "" {
				// weir's INSERT into a primary-key table is an upsert.
				ex(pgUpsert(st.sql))
				continue
			}
			ex("INSERT INTO " + st.table + " VALUES " + strings.Join(st.rows, ", "))
		}
		last := in.phase1End
		if phase == 1 {
			last = 1 << 40
		}
		for _, v := range joinSplitViews {
			if v.pgFill != "" {
				ex(fmt.Sprintf(v.pgFill, first, last))
			}
		}
		first = last + 1
	}
	out := map[string][]string{}
	for _, v := range joinSplitViews {
		out[v.name] = queryLines(t, ctx, pg, "SELECT * FROM "+v.name)
	}
	return out
}

// pgUpsert turns weir's INSERT into a primary-key table (an upsert) into
// PostgreSQL's INSERT ... ON CONFLICT DO UPDATE.
func pgUpsert(sql string) string {
	switch {
	case strings.HasPrefix(sql, "INSERT INTO jd"):
		return sql + " ON CONFLICT (k) DO UPDATE SET name = excluded.name"
	case strings.HasPrefix(sql, "INSERT INTO jl"):
		return sql + " ON CONFLICT (k) DO UPDATE SET label = excluded.label"
	}
	return sql
}

func TestJoinRandomSplits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildWeir(t)
	runs := envInt(t, "WEIR_JOIN_SPLIT_RUNS", 2)
	seed := uint64(time.Now().UnixNano())
	if s := envInt(t, "WEIR_JOIN_SPLIT_SEED", 0); s != 0 {
		seed = uint64(s)
	}
	t.Logf("seed %d (rerun with WEIR_JOIN_SPLIT_SEED=%d), %d runs", seed, seed, runs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	in := joinInput(seed)
	want := joinOracle(t, ctx, in)
	var first map[string][]string
	for run := range runs {
		rng := rand.New(rand.NewPCG(seed, uint64(run)+1))
		r := &joinRun{splitRun{t: t, bin: bin, dir: t.TempDir()}}
		got := r.feed(ctx, in, rng)
		for _, v := range joinSplitViews {
			if d := diffLines(want[v.name], got[v.name]); d != "" {
				t.Errorf("run %d: MV %s differs from PostgreSQL:\n%s", run, v.name, d)
			}
			if first != nil {
				require.Equal(t, first[v.name], got[v.name], "run %d: MV %s differs from run 0", run, v.name)
			}
		}
		first = got
		t.Logf("run %d: %d statements, %d FLUSHes, %d graceful restarts, %d SIGKILLs", run, r.stmts, r.flushes, r.graceful, r.killed)
	}
	for _, v := range joinSplitViews {
		t.Logf("%s: %d rows", v.name, len(want[v.name]))
		require.NotEmpty(t, want[v.name], "the input must exercise %s", v.name)
	}
}
