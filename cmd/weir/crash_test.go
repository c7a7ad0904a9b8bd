package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/sqltests/pgoracle"
)

// The materialized-view crash test: SPEC's "exactly-once state: after any
// crash (SIGKILL at any instant) and restart, every MV equals the result of
// an uninterrupted run over the same input", on the real binary.
//
// A writer sends a seeded input (unique ids, split into statements of
// seeded sizes and kinds) to a `weir serve` process that maintains several
// MVs: a group-by with count, count DISTINCT, sum, min and max; an MV over
// that MV (which sees -old/+new rows); a top-N per group; a global ORDER BY
// .. LIMIT; a filter and projection; joins (docs/joins.md) of the table with
// a second, small table (inner, and left with an aggregate over it) and a
// full join of that table with the group-by MV, whose rows the join sees
// retracted and replaced. Meanwhile the test SIGKILLs the server
// at random instants (right after a restart while it recovers, right after
// a FLUSH was sent so batches are committing, or after a random pause),
// restarts it on the same data directory, and goes on. A statement whose
// outcome the kill hid is resolved by looking for its rows (ids are
// unique): present means it committed, absent means it is sent again, so
// the final input is exactly the seeded one. At the end it FLUSHes and
// compares every MV with
//
//	(a) the same input written to a fresh data directory without kills, and
//	(b) the MV's query computed by PostgreSQL over the same rows (a view),
//
// and checks directly that nothing acknowledged was lost (after every
// restart) and that every row was counted exactly once (count(*) per key
// and the filter's ids against the input).
//
//	WEIR_CRASH_KILLS  minimum number of kills (default 24; `make crash-test` runs more)
//	WEIR_CRASH_ROWS   rows of input (default 12000)
//	WEIR_CRASH_SEED   seed of the input and of the kill instants (default: time-based, logged)

const (
	mvCrashDefaultKills = 24
	mvCrashDefaultRows  = 12_000
	mvCrashKeys         = 25
	mvCrashTags         = 40
)

// mvCrashTable is the input table, the same on weir and PostgreSQL.
const mvCrashTable = "CREATE TABLE ev (id BIGINT NOT NULL, k TEXT, v BIGINT, tag TEXT)"

// mvCrashKeyTable is a small second table the join MVs read, written once
// before the input: keys with a group (key-3 twice, so joined rows
// multiply; key-99 never occurs in ev, so its outer rows stay NULL-padded).
var mvCrashKeyTable = []string{
	"CREATE TABLE kinfo (k TEXT, grp TEXT)",
	"INSERT INTO kinfo VALUES ('key-0', 'g0'), ('key-1', 'g1'), ('key-2', 'g2'), ('key-3', 'g0'), ('key-3', 'g1')," +
		" ('key-5', 'g1'), ('key-8', 'g2'), ('key-13', 'g0'), ('key-21', 'g1'), ('key-99', 'g2'), (NULL, 'g0')",
}

// mvCrashView is one MV under test, created in this order (later ones may
// read earlier ones).
type mvCrashView struct{ name, query string }

var mvCrashViews = []mvCrashView{
	{"agg", `SELECT k, count(*) AS n, count(v) AS nv, sum(v) AS s, min(v) AS lo, max(v) AS hi,
	         count(DISTINCT tag) AS tags FROM ev GROUP BY k`},
	{"agg_of_agg", `SELECT nv % 4 AS bucket, count(*) AS keys, sum(n) AS n, sum(s) AS s,
	         min(s) AS min_s, max(s) AS max_s, min(lo) AS lo, max(hi) AS hi FROM agg GROUP BY nv % 4`},
	{"agg_total", `SELECT count(*) AS keys, sum(n) AS n, min(s) AS min_s, max(s) AS max_s,
	         count(DISTINCT tags) AS tag_counts FROM agg`},
	{"top3", `SELECT k, id, v FROM (SELECT k, id, v, ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC, id) AS rn
	         FROM ev WHERE v IS NOT NULL) ranked WHERE rn <= 3`},
	{"lowest5", `SELECT id, k, v FROM ev WHERE v IS NOT NULL ORDER BY v, id LIMIT 5`},
	{"big", `SELECT id, k, v * 2 AS v2, upper(tag) AS tag FROM ev WHERE v > 600`},
	{"joined", `SELECT ev.id, ev.k, ev.v, kinfo.grp FROM ev JOIN kinfo ON ev.k = kinfo.k`},
	{"join_agg", `SELECT kinfo.grp, count(*) AS n, count(ev.id) AS matched, sum(ev.v) AS s, max(ev.v) AS hi
	         FROM kinfo LEFT JOIN ev ON ev.k = kinfo.k GROUP BY kinfo.grp`},
	{"join_of_agg", `SELECT kinfo.k AS ik, kinfo.grp, agg.k AS ak, agg.n, agg.s FROM kinfo FULL JOIN agg ON agg.k = kinfo.k`},
}

// mvRow is one input row; nil pointers are NULLs.
type mvRow struct {
	id  int64
	k   *string
	v   *int64
	tag string
}

// mvStmt is one statement of the input: rows ids [first, first+len) sent
// together, atomically.
type mvStmt struct {
	kind stmtKind
	rows []mvRow
}

// mvInput generates n rows and splits them into statements; everything is
// a function of seed.
func mvInput(seed uint64, n int) []mvStmt {
	rng := rand.New(rand.NewPCG(seed, 0x1a9e))
	rows := make([]mvRow, n)
	for i := range rows {
		r := mvRow{id: int64(i + 1), tag: "tag-" + strconv.Itoa(rng.IntN(mvCrashTags))}
		if rng.IntN(50) != 0 { // about 2% NULL keys
			k := "key-" + strconv.Itoa(rng.IntN(mvCrashKeys))
			r.k = &k
		}
		if rng.IntN(20) != 0 { // about 5% NULL values
			v := int64(rng.IntN(2001) - 1000)
			r.v = &v
		}
		rows[i] = r
	}
	var stmts []mvStmt
	for len(rows) > 0 {
		kind := stmtKind(rng.IntN(int(numKinds)))
		size := 1
		switch kind {
		case kindInsertMulti:
			size = 2 + rng.IntN(30)
		case kindCopyText, kindCopyCSV:
			size = 1 + rng.IntN(80)
		}
		size = min(size, len(rows))
		stmts = append(stmts, mvStmt{kind: kind, rows: rows[:size]})
		rows = rows[size:]
	}
	return stmts
}

func (r mvRow) sqlValues() string {
	k, v := "NULL", "NULL"
	if r.k != nil {
		k = sqlQuote(*r.k)
	}
	if r.v != nil {
		v = strconv.FormatInt(*r.v, 10)
	}
	return fmt.Sprintf("(%d, %s, %s, %s)", r.id, k, v, sqlQuote(r.tag))
}

// copyText renders rows in COPY's text format (csv=false) or CSV.
func mvCopyData(rows []mvRow, csv bool) string {
	var b strings.Builder
	sep, null := "\t", `\N`
	if csv {
		sep, null = ",", ""
	}
	for _, r := range rows {
		k, v := null, null
		if r.k != nil {
			k = *r.k
		}
		if r.v != nil {
			v = strconv.FormatInt(*r.v, 10)
		}
		fmt.Fprintf(&b, "%d%s%s%s%s%s%s\n", r.id, sep, k, sep, v, sep, r.tag)
	}
	return b.String()
}

// execMVStmt sends one statement and checks its command tag.
func execMVStmt(ctx context.Context, conn *pgx.Conn, st mvStmt) error {
	n := len(st.rows)
	switch st.kind {
	case kindInsertOne:
		r := st.rows[0]
		tag, err := conn.Exec(ctx, "INSERT INTO ev (id, k, v, tag) VALUES ($1, $2, $3, $4)", r.id, r.k, r.v, r.tag)
		if err != nil {
			return err
		}
		return checkTag(tag.String(), "INSERT 0 1")
	case kindInsertMulti:
		vals := make([]string, n)
		for i, r := range st.rows {
			vals[i] = r.sqlValues()
		}
		tag, err := conn.Exec(ctx, "INSERT INTO ev VALUES "+strings.Join(vals, ", "), pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return err
		}
		return checkTag(tag.String(), fmt.Sprintf("INSERT 0 %d", n))
	case kindCopyText, kindCopyCSV:
		sql := "COPY ev FROM STDIN"
		if st.kind == kindCopyCSV {
			sql = "COPY ev (id, k, v, tag) FROM STDIN (FORMAT csv)"
		}
		tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(mvCopyData(st.rows, st.kind == kindCopyCSV)), sql)
		if err != nil {
			return err
		}
		return checkTag(tag.String(), fmt.Sprintf("COPY %d", n))
	}
	panic("unreachable")
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	require.Positive(t, n, name)
	return n
}

// crashServer is the current `weir serve` process of a run; the writer
// reads its address, the killer replaces it.
type crashServer struct {
	mu   sync.Mutex
	addr string // "" while down
}

func (s *crashServer) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *crashServer) set(addr string) {
	s.mu.Lock()
	s.addr = addr
	s.mu.Unlock()
}

// mvWriter sends the statements in order, each exactly once in effect.
type mvWriter struct {
	srv       *crashServer
	stmts     []mvStmt
	ackedRows atomic.Int64 // rows of statements known committed (acknowledged or found present)
	done      atomic.Bool
	acked     int // statements acknowledged by CommandComplete
	resolved  int // statements whose outcome a kill hid, found committed
	resent    int // statements whose outcome a kill hid, found absent and sent again
}

// dial connects to the current server, waiting while it is down.
func (w *mvWriter) dial(ctx context.Context) (*pgx.Conn, error) {
	for {
		if addr := w.srv.get(); addr != "" {
			c, err := pgx.Connect(ctx, connURL(addr))
			if err == nil {
				return c, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// isServerError reports an error the server sent (a bug here: the input
// is valid), as opposed to a broken connection (a kill).
func isServerError(err error) bool {
	var pgErr *pgconn.PgError
	var tagErr errBadTag
	return errors.As(err, &pgErr) || errors.As(err, &tagErr)
}

// run writes every statement, pacing them with short random pauses so the
// input spans several seconds of kills.
func (w *mvWriter) run(ctx context.Context, rng *rand.Rand) error {
	defer w.done.Store(true)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	for i := 0; i < len(w.stmts); {
		st := w.stmts[i]
		if conn == nil {
			c, err := w.dial(ctx)
			if err != nil {
				return err
			}
			conn = c
		}
		err := execMVStmt(ctx, conn, st)
		if err == nil {
			w.acked++
			w.ackedRows.Add(int64(len(st.rows)))
			i++
			time.Sleep(time.Duration(rng.IntN(14)) * time.Millisecond)
			continue
		}
		if isServerError(err) {
			return fmt.Errorf("statement of rows %d..%d (%s): %w", st.rows[0].id, st.rows[len(st.rows)-1].id, st.kind, err)
		}
		_ = conn.Close(context.Background())
		conn = nil
		// The kill hid the outcome: look for the statement's rows.
		present, err := w.resolve(ctx, st)
		if err != nil {
			return err
		}
		if present {
			w.resolved++
			w.ackedRows.Add(int64(len(st.rows)))
			i++
		} else {
			w.resent++
		}
	}
	return nil
}

// resolve reports whether st's rows are in the table (all of them) or not
// (none); a partly present statement is an atomicity failure.
func (w *mvWriter) resolve(ctx context.Context, st mvStmt) (bool, error) {
	first, last := st.rows[0].id, st.rows[len(st.rows)-1].id
	for {
		conn, err := w.dial(ctx)
		if err != nil {
			return false, err
		}
		var n int64
		err = conn.QueryRow(ctx, "SELECT count(*) FROM ev WHERE id BETWEEN $1 AND $2", first, last).Scan(&n)
		_ = conn.Close(context.Background())
		if err == nil {
			if n != 0 && n != int64(len(st.rows)) {
				return false, fmt.Errorf("statement of rows %d..%d (%s) is torn: %d of %d rows present", first, last, st.kind, n, len(st.rows))
			}
			return n > 0, nil
		}
		if isServerError(err) {
			return false, err
		}
		// Killed again while resolving: try on the next server.
	}
}

// mvResults reads every MV as sorted lines of text values.
func mvResults(t *testing.T, ctx context.Context, conn *pgx.Conn) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, v := range mvCrashViews {
		out[v.name] = queryLines(t, ctx, conn, "SELECT * FROM "+v.name)
	}
	return out
}

// queryLines runs sql with the simple protocol (text results) and returns
// its rows, values separated by '|', NULL as the word NULL, sorted.
func queryLines(t *testing.T, ctx context.Context, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	require.NoError(t, err, sql)
	var lines []string
	for rows.Next() {
		raw := rows.RawValues()
		vals := make([]string, len(raw))
		for i, b := range raw {
			if b == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = string(b)
			}
		}
		lines = append(lines, strings.Join(vals, "|"))
	}
	require.NoError(t, rows.Err(), sql)
	slices.Sort(lines)
	return lines
}

// diffLines describes how got differs from want (as multisets of lines),
// at most 20 lines each way; "" when equal.
func diffLines(want, got []string) string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var missing, extra []string
	for l, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, "- "+l)
		}
		for ; n < 0; n++ {
			extra = append(extra, "+ "+l)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	slices.Sort(missing)
	slices.Sort(extra)
	clip := func(s []string) []string {
		if len(s) > 20 {
			return append(s[:20:20], fmt.Sprintf("  ... %d more", len(s)-20))
		}
		return s
	}
	return fmt.Sprintf("%d rows missing, %d rows extra\n%s", len(missing), len(extra),
		strings.Join(append(clip(missing), clip(extra)...), "\n"))
}

// setupMVs creates the table and the MVs (or, with views, PostgreSQL views).
func setupMVs(t *testing.T, ctx context.Context, conn *pgx.Conn, views bool) {
	t.Helper()
	_, err := conn.Exec(ctx, mvCrashTable)
	require.NoError(t, err)
	for _, sql := range mvCrashKeyTable {
		_, err := conn.Exec(ctx, sql)
		require.NoError(t, err)
	}
	for _, v := range mvCrashViews {
		kind := "MATERIALIZED VIEW"
		if views {
			kind = "VIEW"
		}
		_, err := conn.Exec(ctx, "CREATE "+kind+" "+v.name+" AS "+v.query)
		require.NoError(t, err, v.name)
	}
}

func flush(t *testing.T, ctx context.Context, conn *pgx.Conn, tail *logTail) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err := conn.Exec(ctx, "FLUSH")
	require.NoError(t, err, "FLUSH; log:\n%s", tail)
}

func TestMVCrash(t *testing.T) {
	bin := buildWeir(t)
	minKills := envInt(t, "WEIR_CRASH_KILLS", mvCrashDefaultKills)
	nRows := envInt(t, "WEIR_CRASH_ROWS", mvCrashDefaultRows)
	seed := crashSeed(t)
	t.Logf("seed %d (rerun with WEIR_CRASH_SEED=%d), %d rows, at least %d kills", seed, seed, nRows, minKills)
	stmts := mvInput(seed, nRows)
	rng := rand.New(rand.NewPCG(seed, 0xc4a5))
	// Short trigger intervals: batches commit often, so kills land in them.
	env := []string{"WEIR_TRIGGER_INTERVAL=20ms"}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	start := time.Now()

	// The run with kills.
	dataDir := t.TempDir()
	cmd, addr, tail := startServe(t, bin, dataDir, env...)
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	setupMVs(t, ctx, conn, false)
	require.NoError(t, conn.Close(ctx))

	srv := &crashServer{addr: addr}
	w := &mvWriter{srv: srv, stmts: stmts}
	writerErr := make(chan error, 1)
	wrng := rand.New(rand.NewPCG(rng.Uint64(), 1))
	go func() { writerErr <- w.run(ctx, wrng) }()

	var kills, duringWrites, duringRecovery, duringFlush, durabilityChecks int
	for kills < minKills || !w.done.Load() {
		if !w.done.Load() {
			duringWrites++
		}
		// The instant of the kill.
		var flushing chan struct{}
		switch mode := rng.IntN(10); {
		case mode < 2: // while the restarted server recovers its queries
			duringRecovery++
			time.Sleep(time.Duration(rng.IntN(15)) * time.Millisecond)
		case mode < 5: // while FLUSH makes every query commit
			duringFlush++
			flushing = make(chan struct{})
			go func(addr string) {
				defer close(flushing)
				c, err := pgx.Connect(ctx, connURL(addr))
				if err != nil {
					return
				}
				_, _ = c.Exec(ctx, "FLUSH")
				_ = c.Close(context.Background())
			}(addr)
			time.Sleep(time.Duration(2+rng.IntN(40)) * time.Millisecond)
		default:
			time.Sleep(time.Duration(30+rng.IntN(300)) * time.Millisecond)
		}
		ackedBefore := w.ackedRows.Load()
		srv.set("")
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		kills++
		if flushing != nil {
			<-flushing
		}
		select {
		case err := <-writerErr:
			require.NoError(t, err, "writer; log:\n%s", tail)
			writerErr <- nil
		default:
		}

		cmd, addr, tail = startServe(t, bin, dataDir, env...)
		// Acknowledged rows survived: the table holds at least every row
		// acknowledged before the kill (and, with one writer, at most one
		// more statement).
		c, err := pgx.Connect(ctx, connURL(addr))
		require.NoError(t, err, "log:\n%s", tail)
		var n int64
		require.NoError(t, c.QueryRow(ctx, "SELECT count(*) FROM ev").Scan(&n), "log:\n%s", tail)
		require.GreaterOrEqual(t, n, ackedBefore, "kill %d: acknowledged rows lost", kills)
		durabilityChecks++
		_ = c.Close(ctx)
		srv.set(addr)
	}
	require.NoError(t, <-writerErr, "writer; log:\n%s", tail)
	writeSecs := time.Since(start).Seconds()

	conn, err = pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	flush(t, ctx, conn, tail)
	crashed := mvResults(t, ctx, conn)
	checkExactInput(t, ctx, conn, stmts)
	checkExactlyOnce(t, crashed, stmts)
	require.NoError(t, conn.Close(ctx))
	// A graceful stop after all this must still work.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "weir must exit 0 after SIGTERM; log:\n%s", tail)

	// (a) The same input without kills, on a fresh data directory.
	refCmd, refAddr, refTail := startServe(t, bin, t.TempDir(), env...)
	ref, err := pgx.Connect(ctx, connURL(refAddr))
	require.NoError(t, err, "log:\n%s", refTail)
	setupMVs(t, ctx, ref, false)
	for _, st := range stmts {
		require.NoError(t, execMVStmt(ctx, ref, st))
	}
	flush(t, ctx, ref, refTail)
	uninterrupted := mvResults(t, ctx, ref)
	require.NoError(t, ref.Close(ctx))
	require.NoError(t, refCmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, refCmd.Wait(), "log:\n%s", refTail)

	var compared int
	failed := false
	for _, v := range mvCrashViews {
		if d := diffLines(uninterrupted[v.name], crashed[v.name]); d != "" {
			failed = true
			t.Errorf("MV %s after %d kills differs from the run without kills:\n%s", v.name, kills, d)
		}
		compared += len(crashed[v.name])
	}

	// (b) PostgreSQL over the same rows.
	pgCompared := 0
	t.Run("postgres", func(t *testing.T) {
		base := pgoracle.Start(t)
		pg := postgresDatabase(t, ctx, base)
		setupMVs(t, ctx, pg, true)
		var all []mvRow
		for _, st := range stmts {
			all = append(all, st.rows...)
		}
		_, err := pg.PgConn().CopyFrom(ctx, strings.NewReader(mvCopyData(all, false)), "COPY ev FROM STDIN")
		require.NoError(t, err)
		oracle := mvResults(t, ctx, pg)
		for _, v := range mvCrashViews {
			if d := diffLines(oracle[v.name], crashed[v.name]); d != "" {
				t.Errorf("MV %s after %d kills differs from PostgreSQL:\n%s", v.name, kills, d)
			}
			pgCompared += len(oracle[v.name])
		}
	})

	t.Logf("mv crash: %d kills (%d while the writer ran, %d while recovering, %d during FLUSH), %d durability checks; "+
		"%d statements (%d acknowledged, %d committed but unacknowledged, %d resent), %d rows in %.1fs; "+
		"%d MV rows compared with the run without kills, %d with PostgreSQL; differences: %v",
		kills, duringWrites, duringRecovery, duringFlush, durabilityChecks, len(stmts), w.acked, w.resolved, w.resent,
		nRows, writeSecs, compared, pgCompared, failed || t.Failed())
}

// checkExactInput checks that the table holds exactly the seeded input:
// nothing acknowledged lost, nothing duplicated.
func checkExactInput(t *testing.T, ctx context.Context, conn *pgx.Conn, stmts []mvStmt) {
	t.Helper()
	var want []string
	for _, st := range stmts {
		for _, r := range st.rows {
			want = append(want, strings.TrimSuffix(strings.ReplaceAll(mvCopyData([]mvRow{r}, false), "\t", "|"), "\n"))
		}
	}
	slices.Sort(want)
	got := queryLines(t, ctx, conn, "SELECT id, k, v, tag FROM ev")
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], "NULL", `\N`)
	}
	if d := diffLines(want, got); d != "" {
		t.Fatalf("the table is not exactly the input:\n%s", d)
	}
}

// checkExactlyOnce checks the MVs against counts computed here from the
// input: every row counted once per key in agg, every qualifying id once
// in big.
func checkExactlyOnce(t *testing.T, got map[string][]string, stmts []mvStmt) {
	t.Helper()
	perKey := map[string]int{}
	var bigIDs []string
	for _, st := range stmts {
		for _, r := range st.rows {
			k := "NULL"
			if r.k != nil {
				k = *r.k
			}
			perKey[k]++
			if r.v != nil && *r.v > 600 {
				bigIDs = append(bigIDs, strconv.FormatInt(r.id, 10))
			}
		}
	}
	gotKey := map[string]int{}
	for _, line := range got["agg"] {
		f := strings.Split(line, "|")
		n, err := strconv.Atoi(f[1])
		require.NoError(t, err, line)
		gotKey[f[0]] = n
	}
	require.Equal(t, perKey, gotKey, "agg: count(*) per key must equal the input's count (exactly once)")
	var gotIDs []string
	for _, line := range got["big"] {
		gotIDs = append(gotIDs, strings.SplitN(line, "|", 2)[0])
	}
	slices.Sort(bigIDs)
	slices.Sort(gotIDs)
	require.Equal(t, bigIDs, gotIDs, "big: every id with v > 600 exactly once")
}

// postgresDatabase creates a fresh database on the oracle server and
// connects to it.
func postgresDatabase(t *testing.T, ctx context.Context, base string) *pgx.Conn {
	t.Helper()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	name := fmt.Sprintf("mvcrash_%d", os.Getpid())
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
	return conn
}

func TestDiffLines(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		diff      string
	}{
		{nil, nil, ""},
		{[]string{"a|1", "b|2"}, []string{"a|1", "b|2"}, ""},
		{[]string{"a|1", "b|2"}, []string{"a|1", "b|3"}, "1 rows missing, 1 rows extra\n- b|2\n+ b|3"},
		// Multisets: a duplicated row is a difference.
		{[]string{"a|1"}, []string{"a|1", "a|1"}, "0 rows missing, 1 rows extra\n+ a|1"},
		{[]string{"x", "x"}, []string{"x"}, "1 rows missing, 0 rows extra\n- x"},
	} {
		require.Equal(t, tc.diff, diffLines(tc.want, tc.got), "%v vs %v", tc.want, tc.got)
	}
}

func TestMVInputDeterministic(t *testing.T) {
	a, b := mvInput(42, 5000), mvInput(42, 5000)
	require.Equal(t, a, b, "the same seed must give the same input")
	require.NotEqual(t, a, mvInput(43, 5000))
	// Ids are 1..n in statement order, each statement a contiguous range.
	next := int64(1)
	kinds := map[stmtKind]bool{}
	for _, st := range a {
		require.NotEmpty(t, st.rows)
		kinds[st.kind] = true
		for _, r := range st.rows {
			require.Equal(t, next, r.id)
			next++
		}
	}
	require.Equal(t, int64(5001), next)
	require.Len(t, kinds, int(numKinds), "every statement kind is used")
	// COPY text and CSV render NULLs each their own way.
	k := "key-1"
	rows := []mvRow{{id: 1, k: &k, tag: "t"}, {id: 2, tag: "u"}}
	require.Equal(t, "1\tkey-1\t\\N\tt\n2\t\\N\t\\N\tu\n", mvCopyData(rows, false))
	require.Equal(t, "1,key-1,,t\n2,,,u\n", mvCopyData(rows, true))
	require.Equal(t, "(2, NULL, NULL, 'u')", rows[1].sqlValues())
}
