package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
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
)

// The kill -9 durability test: the guarantee under test is SPEC's "nothing
// acknowledged is lost: a committed INSERT/COPY survives SIGKILL", plus
// atomicity per statement (a statement's rows are all there or none are)
// and no duplication on recovery.
//
// Each cycle runs concurrent writers against a real `weir serve` process,
// SIGKILLs it at a random instant while statements are in flight,
// restarts it on the same data directory and checks the whole table
// against the ledger of what was sent and what was acknowledged.
//
//	WEIR_CRASH_CYCLES  kill/restart cycles (default 5; `make crash-test` runs more)
//	WEIR_CRASH_SEED    seed for the random choices (default: time-based, logged)

const (
	crashWriters     = 4
	crashTable       = "durable"
	crashDefaultKill = 5
)

// stmtKind is the way a statement writes its rows.
type stmtKind int

const (
	kindInsertOne   stmtKind = iota // INSERT ... VALUES ($1, $2, $3, $4), extended protocol
	kindInsertMulti                 // INSERT ... VALUES (..), (..), ... as literals, simple protocol
	kindCopyText                    // COPY ... FROM STDIN, text format
	kindCopyCSV                     // COPY ... FROM STDIN (FORMAT csv)
	numKinds
)

func (k stmtKind) String() string {
	return [...]string{"insert-one", "insert-multi", "copy-text", "copy-csv"}[k]
}

// crashRow is one row the test writes; ids are unique over the whole run.
type crashRow struct {
	id      int64
	payload string
}

// crashStmt is one statement in the ledger.
type crashStmt struct {
	id    int64 // also the value of the stmt column of each of its rows
	kind  stmtKind
	rows  []crashRow
	acked atomic.Bool // CommandComplete was received
	// seen is the presence observed after the first restart that followed
	// the statement (for unacknowledged statements): it must never change.
	seen    int // 0 unknown, 1 present, -1 absent
	checked bool
}

// ledger records every statement sent, by id.
type ledger struct {
	mu     sync.Mutex
	stmts  map[int64]*crashStmt
	rowOf  map[int64]*crashStmt // row id → statement
	nextID atomic.Int64         // row ids
	nextSt atomic.Int64         // statement ids
}

func newLedger() *ledger {
	return &ledger{stmts: map[int64]*crashStmt{}, rowOf: map[int64]*crashStmt{}}
}

// newStmt makes a statement of kind with n rows and records it as sent
// before anything reaches the server.
func (l *ledger) newStmt(kind stmtKind, n int, rng *rand.Rand) *crashStmt {
	st := &crashStmt{id: l.nextSt.Add(1), kind: kind}
	for range n {
		id := l.nextID.Add(1)
		st.rows = append(st.rows, crashRow{id: id, payload: crashPayload(id, rng)})
	}
	l.mu.Lock()
	l.stmts[st.id] = st
	for _, r := range st.rows {
		l.rowOf[r.id] = st
	}
	l.mu.Unlock()
	return st
}

// crashPayload makes text that exercises quoting in every format: commas,
// quotes, backslashes, tabs, newlines and non-ASCII, so a torn or
// mis-escaped row is caught by comparing payloads.
func crashPayload(id int64, rng *rand.Rand) string {
	extras := []string{"", "a,b", `say "hi"`, `back\slash`, "tab\there", "line\nbreak", "ünïcödé", "'single'"}
	return fmt.Sprintf("row-%d %s %s", id, extras[rng.IntN(len(extras))], strings.Repeat("x", rng.IntN(40)))
}

func crashCycles(t *testing.T) int {
	if v := os.Getenv("WEIR_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "WEIR_CRASH_CYCLES")
		require.Positive(t, n, "WEIR_CRASH_CYCLES")
		return n
	}
	return crashDefaultKill
}

func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("WEIR_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "WEIR_CRASH_SEED")
		return n
	}
	return uint64(time.Now().UnixNano())
}

func TestKillDurability(t *testing.T) {
	bin := buildWeir(t)
	dataDir := t.TempDir()
	cycles := crashCycles(t)
	seed := crashSeed(t)
	t.Logf("seed %d (rerun with WEIR_CRASH_SEED=%d), %d cycles", seed, seed, cycles)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	cmd, addr, tail := startServe(t, bin, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	_, err = conn.Exec(ctx, "CREATE TABLE "+crashTable+" (id BIGINT NOT NULL, stmt BIGINT NOT NULL, payload TEXT)")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))

	l := newLedger()
	var totalKills, rowChecks, lastRows, inFlightPresent, inFlightAbsent int
	for cycle := 1; cycle <= cycles; cycle++ {
		// Writers run until the kill breaks their connections.
		var wg sync.WaitGroup
		acks := make(chan struct{}, 1<<16)
		writerErrs := make([]error, crashWriters)
		for w := range crashWriters {
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				writerErrs[w] = crashWriter(ctx, addr, l, wrng, acks)
			}()
		}
		// Kill at a random instant once writes are flowing, so some
		// statements are acknowledged and others are in flight.
		wantAcks := 5 + rng.IntN(40)
		deadline := time.After(60 * time.Second)
		for got := 0; got < wantAcks; got++ {
			select {
			case <-acks:
			case <-deadline:
				t.Fatalf("cycle %d: only %d of %d statements acknowledged within 60s; log:\n%s", cycle, got, wantAcks, tail)
			}
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		totalKills++
		wg.Wait()
		// Broken connections are what a kill looks like; an error the
		// server sent, or a wrong tag, is a bug.
		for w, err := range writerErrs {
			var pgErr *pgconn.PgError
			var tagErr errBadTag
			if errors.As(err, &pgErr) || errors.As(err, &tagErr) {
				t.Errorf("cycle %d writer %d: %v", cycle, w, err)
			}
		}

		cmd, addr, tail = startServe(t, bin, dataDir)
		checked, present, absent := verifyLedger(t, ctx, addr, l)
		rowChecks += checked
		lastRows = checked
		inFlightPresent += present
		inFlightAbsent += absent
		t.Logf("cycle %d: %d rows and %d statements checked after the kill; in flight at the kill: %d present, %d absent",
			cycle, checked, len(l.stmts), present, absent)
	}

	// Stop the last server gracefully: a clean shutdown after recovery
	// must also work.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "log:\n%s", tail)

	var acked int
	for _, st := range l.stmts {
		if st.acked.Load() {
			acked++
		}
	}
	t.Logf("durability: %d kills, %d row checks (%d rows in the table at the end), %d statements (%d acknowledged; of those in flight at a kill %d were present, %d absent)",
		totalKills, rowChecks, lastRows, len(l.stmts), acked, inFlightPresent, inFlightAbsent)
}

func connURL(addr string) string {
	return "postgres://weir@" + addr + "/weir?sslmode=disable"
}

// crashWriter writes statements of random kinds until one fails (the
// server was killed) or ctx ends. A statement is marked acknowledged only
// after its CommandComplete arrived.
func crashWriter(ctx context.Context, addr string, l *ledger, rng *rand.Rand, acks chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, connURL(addr))
	if err != nil {
		return err // killed before this writer connected
	}
	defer conn.Close(context.Background())
	for ctx.Err() == nil {
		kind := stmtKind(rng.IntN(int(numKinds)))
		var n int
		switch kind {
		case kindInsertOne:
			n = 1
		case kindInsertMulti:
			n = 2 + rng.IntN(40)
		default:
			n = 1 + rng.IntN(300)
		}
		st := l.newStmt(kind, n, rng)
		if err := execStmt(ctx, conn, st); err != nil {
			return fmt.Errorf("statement %d (%s, %d rows): %w", st.id, kind, n, err)
		}
		st.acked.Store(true)
		select {
		case acks <- struct{}{}:
		default:
		}
	}
	return ctx.Err()
}

func execStmt(ctx context.Context, conn *pgx.Conn, st *crashStmt) error {
	want := len(st.rows)
	switch st.kind {
	case kindInsertOne:
		r := st.rows[0]
		tag, err := conn.Exec(ctx, "INSERT INTO "+crashTable+" (id, stmt, payload) VALUES ($1, $2, $3)", r.id, st.id, r.payload)
		if err != nil {
			return err
		}
		return checkTag(tag.String(), "INSERT 0 1")
	case kindInsertMulti:
		var b strings.Builder
		b.WriteString("INSERT INTO " + crashTable + " VALUES ")
		for i, r := range st.rows {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(%d, %d, %s)", r.id, st.id, sqlQuote(r.payload))
		}
		tag, err := conn.Exec(ctx, b.String(), pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return err
		}
		return checkTag(tag.String(), fmt.Sprintf("INSERT 0 %d", want))
	case kindCopyText:
		var b strings.Builder
		for _, r := range st.rows {
			fmt.Fprintf(&b, "%d\t%d\t%s\n", r.id, st.id, copyTextEscape(r.payload))
		}
		tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(b.String()), "COPY "+crashTable+" FROM STDIN")
		if err != nil {
			return err
		}
		return checkTag(tag.String(), fmt.Sprintf("COPY %d", want))
	case kindCopyCSV:
		var b strings.Builder
		for _, r := range st.rows {
			fmt.Fprintf(&b, "%d,%d,%s\n", r.id, st.id, csvQuote(r.payload))
		}
		tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(b.String()), "COPY "+crashTable+" (id, stmt, payload) FROM STDIN (FORMAT csv)")
		if err != nil {
			return err
		}
		return checkTag(tag.String(), fmt.Sprintf("COPY %d", want))
	}
	panic("unreachable")
}

// errBadTag is a wrong CommandComplete tag: a protocol bug, reported as a
// failure by the verification (the statement stays unacknowledged).
type errBadTag struct{ got, want string }

func (e errBadTag) Error() string { return fmt.Sprintf("command tag %q, want %q", e.got, e.want) }

func checkTag(got, want string) error {
	if got != want {
		return errBadTag{got, want}
	}
	return nil
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func csvQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyTextEscape escapes a value for COPY's text format.
func copyTextEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// verifyLedger reads the whole table from the restarted server and checks
// it against the ledger. It returns the number of rows checked and, among
// the statements not acknowledged that are checked for the first time,
// how many were found present and absent.
func verifyLedger(t *testing.T, ctx context.Context, addr string, l *ledger) (rowsChecked, present, absent int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id, stmt, payload FROM "+crashTable)
	require.NoError(t, err)
	found := map[int64]int{} // statement → rows found
	seenRow := map[int64]bool{}
	var dups, strays []int64
	for rows.Next() {
		var id, stmt int64
		var payload string
		require.NoError(t, rows.Scan(&id, &stmt, &payload))
		rowsChecked++
		if seenRow[id] {
			dups = append(dups, id)
			continue
		}
		seenRow[id] = true
		st := l.rowOf[id]
		if st == nil || st.id != stmt {
			strays = append(strays, id)
			continue
		}
		var want string
		for _, r := range st.rows {
			if r.id == id {
				want = r.payload
			}
		}
		require.Equal(t, want, payload, "payload of row %d (statement %d, %s)", id, st.id, st.kind)
		found[stmt]++
	}
	require.NoError(t, rows.Err())
	require.Empty(t, dups, "rows present more than once")
	require.Empty(t, strays, "rows no statement wrote (or under the wrong statement)")

	ids := make([]int64, 0, len(l.stmts))
	for id := range l.stmts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		st := l.stmts[id]
		n := found[id]
		if st.acked.Load() {
			require.Equal(t, len(st.rows), n, "acknowledged statement %d (%s, %d rows) lost rows", id, st.kind, len(st.rows))
			continue
		}
		require.True(t, n == 0 || n == len(st.rows),
			"statement %d (%s) in flight at the kill is torn: %d of %d rows present", id, st.kind, n, len(st.rows))
		state := -1
		if n > 0 {
			state = 1
		}
		if !st.checked {
			st.checked, st.seen = true, state
			if state > 0 {
				present++
			} else {
				absent++
			}
			continue
		}
		require.Equal(t, st.seen, state, "statement %d (%s) changed presence across restarts", id, st.kind)
	}
	return rowsChecked, present, absent
}
