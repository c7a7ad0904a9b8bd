package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
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

// The kill -9 durability test of tables with a primary key: upserts,
// UPDATE (including key changes and multi-row updates) and DELETE, with
// $n parameters and literals. The guarantees under test: an acknowledged
// statement survives SIGKILL, a statement is atomic (all of its changes or
// none), and a materialized view over the table equals its query after
// recovery (the log's retractions are applied exactly once).
//
// Each writer owns a disjoint key range and runs one statement at a time,
// keeping a model of its rows: after a kill, its rows must equal the model
// either before or after the one statement it had in flight.

const (
	pkCrashTable   = "accounts"
	pkCrashKeys    = 24   // keys per writer: [w*pkCrashSpan, w*pkCrashSpan+pkCrashKeys)
	pkCrashSpan    = 1000 // distance between writers' key ranges
	pkCrashWriters = 3
)

type pkAccount struct {
	ver  int64
	note string
}

type pkModel map[int64]pkAccount

// pkWriter is one writer's model and its statement in flight.
type pkWriter struct {
	base  int64
	model pkModel
	// pending is the model after the statement in flight; nil when none.
	pending pkModel
	acks    atomic.Int64
	ver     int64
}

func (w *pkWriter) key(rng *rand.Rand) int64 { return w.base + rng.Int64N(pkCrashKeys) }

// step runs one random statement and updates the model once it is
// acknowledged with the expected command tag.
func (w *pkWriter) step(ctx context.Context, conn *pgx.Conn, rng *rand.Rand) error {
	next := maps.Clone(w.model)
	w.ver++
	var (
		tag pgconn.CommandTag
		err error
	)
	want := ""
	exec := func(sql string, args ...any) {
		w.pending = next
		tag, err = conn.Exec(ctx, sql, args...)
	}
	switch op := rng.IntN(7); op {
	case 0: // upsert one row, parameters
		id := w.key(rng)
		note := fmt.Sprintf("n%d 'q' \"d\" ü", w.ver)
		next[id] = pkAccount{w.ver, note}
		want = "INSERT 0 1"
		exec("INSERT INTO "+pkCrashTable+" VALUES ($1, $2, $3)", id, w.ver, note)
	case 1: // upsert several distinct keys, literals (simple protocol)
		ids := map[int64]bool{}
		var vals []string
		for range 1 + rng.IntN(5) {
			id := w.key(rng)
			if ids[id] {
				continue
			}
			ids[id] = true
			note := fmt.Sprintf("m%d-%d", w.ver, id)
			next[id] = pkAccount{w.ver, note}
			vals = append(vals, fmt.Sprintf("(%d, %d, %s)", id, w.ver, sqlQuote(note)))
		}
		want = fmt.Sprintf("INSERT 0 %d", len(vals))
		exec("INSERT INTO " + pkCrashTable + " VALUES " + strings.Join(vals, ", "))
	case 2: // update one row by key, parameters
		id := w.key(rng)
		n := 0
		if a, ok := next[id]; ok {
			next[id] = pkAccount{a.ver + 1, fmt.Sprintf("u%d", w.ver)}
			n = 1
		}
		want = fmt.Sprintf("UPDATE %d", n)
		exec("UPDATE "+pkCrashTable+" SET ver = ver + 1, note = $1 WHERE id = $2", fmt.Sprintf("u%d", w.ver), id)
	case 3: // delete one row, parameters
		id := w.key(rng)
		n := 0
		if _, ok := next[id]; ok {
			delete(next, id)
			n = 1
		}
		want = fmt.Sprintf("DELETE %d", n)
		exec("DELETE FROM "+pkCrashTable+" WHERE id = $1", id)
	case 4: // move a row to a free key
		from, to := w.key(rng), w.key(rng)
		a, ok := next[from]
		if _, taken := next[to]; !ok || taken {
			w.ver--
			return nil
		}
		delete(next, from)
		next[to] = a
		want = "UPDATE 1"
		exec("UPDATE "+pkCrashTable+" SET id = $1 WHERE id = $2", to, from)
	case 5: // update a key range
		lo := w.key(rng)
		hi := lo + 1 + rng.Int64N(6)
		n := 0
		for id, a := range next {
			if id >= lo && id < hi {
				next[id] = pkAccount{a.ver + 100, a.note}
				n++
			}
		}
		want = fmt.Sprintf("UPDATE %d", n)
		exec(fmt.Sprintf("UPDATE %s SET ver = ver + 100 WHERE id >= %d AND id < %d", pkCrashTable, lo, hi))
	case 6: // delete a key range
		lo := w.key(rng)
		hi := lo + 1 + rng.Int64N(4)
		n := 0
		for id := range next {
			if id >= lo && id < hi {
				delete(next, id)
				n++
			}
		}
		want = fmt.Sprintf("DELETE %d", n)
		exec("DELETE FROM "+pkCrashTable+" WHERE id >= $1 AND id < $2", lo, hi)
	}
	if err != nil {
		return err // w.pending stays: the statement may or may not have happened
	}
	if err := checkTag(tag.String(), want); err != nil {
		return err
	}
	w.model, w.pending = next, nil
	w.acks.Add(1)
	return nil
}

// pkRows reads the table's rows by id.
func pkRows(ctx context.Context, t *testing.T, conn *pgx.Conn) pkModel {
	rows, err := conn.Query(ctx, "SELECT id, ver, note FROM "+pkCrashTable)
	require.NoError(t, err)
	out := pkModel{}
	for rows.Next() {
		var id, ver int64
		var note string
		require.NoError(t, rows.Scan(&id, &ver, &note))
		_, dup := out[id]
		require.False(t, dup, "key %d twice", id)
		out[id] = pkAccount{ver, note}
	}
	require.NoError(t, rows.Err())
	return out
}

func TestKillDurabilityPKTable(t *testing.T) {
	bin := buildWeir(t)
	dataDir := t.TempDir()
	cycles := crashCycles(t)
	seed := crashSeed(t)
	t.Logf("seed %d (rerun with WEIR_CRASH_SEED=%d), %d cycles", seed, seed, cycles)
	rng := rand.New(rand.NewPCG(seed, 0x9e1))

	cmd, addr, tail := startServe(t, bin, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, connURL(addr))
	require.NoError(t, err, "log:\n%s", tail)
	for _, sql := range []string{
		"CREATE TABLE " + pkCrashTable + " (id BIGINT PRIMARY KEY, ver BIGINT NOT NULL, note TEXT)",
		"CREATE MATERIALIZED VIEW acc_stats AS SELECT id / " + fmt.Sprint(pkCrashSpan) + " AS w, count(*) AS n, sum(ver) AS s, min(ver) AS lo, max(ver) AS hi FROM " + pkCrashTable + " GROUP BY 1",
	} {
		_, err = conn.Exec(ctx, sql)
		require.NoError(t, err)
	}
	require.NoError(t, conn.Close(ctx))

	writers := make([]*pkWriter, pkCrashWriters)
	for i := range writers {
		writers[i] = &pkWriter{base: int64(i) * pkCrashSpan, model: pkModel{}}
	}
	var inFlightDone, inFlightNot, acked int64
	for cycle := 1; cycle <= cycles; cycle++ {
		var wg sync.WaitGroup
		errs := make([]error, len(writers))
		for i, w := range writers {
			wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := pgx.Connect(ctx, connURL(addr))
				if err != nil {
					return // killed before connecting
				}
				defer c.Close(context.Background())
				for ctx.Err() == nil {
					if err := w.step(ctx, c, wrng); err != nil {
						errs[i] = err
						return
					}
				}
			}()
		}
		// Kill once every writer has had statements acknowledged.
		deadline := time.Now().Add(60 * time.Second)
		target := 10 + rng.Int64N(40)
		for {
			done := true
			for _, w := range writers {
				done = done && w.acks.Load() >= target*int64(cycle)
			}
			if done {
				break
			}
			require.False(t, time.Now().After(deadline), "cycle %d: writers too slow; log:\n%s", cycle, tail)
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()
		wg.Wait()
		for i, err := range errs {
			var pgErr *pgconn.PgError
			var tagErr errBadTag
			if errors.As(err, &pgErr) || errors.As(err, &tagErr) {
				t.Fatalf("cycle %d writer %d: %v", cycle, i, err)
			}
		}

		cmd, addr, tail = startServe(t, bin, dataDir)
		conn, err := pgx.Connect(ctx, connURL(addr))
		require.NoError(t, err, "log:\n%s", tail)
		got := pkRows(ctx, t, conn)
		for i, w := range writers {
			mine := pkModel{}
			for id, a := range got {
				if id >= w.base && id < w.base+pkCrashKeys {
					mine[id] = a
				}
			}
			switch {
			case maps.Equal(mine, w.model):
				if w.pending != nil && !maps.Equal(w.pending, w.model) {
					inFlightNot++
				}
			case w.pending != nil && maps.Equal(mine, w.pending):
				inFlightDone++
			default:
				t.Fatalf("cycle %d writer %d: rows after the kill\n%v\nare neither the acknowledged state\n%v\nnor the state after the statement in flight\n%v",
					cycle, i, mine, w.model, w.pending)
			}
			w.model, w.pending = mine, nil
		}

		// The MV equals its query once it has caught up: every change in
		// the log (retractions included) applied exactly once.
		_, err = conn.Exec(ctx, "FLUSH")
		require.NoError(t, err)
		want := directStats(got)
		rows, err := conn.Query(ctx, "SELECT w, n, s::text, lo, hi FROM acc_stats")
		require.NoError(t, err)
		var have []string
		for rows.Next() {
			var wk, n, lo, hi int64
			var s string
			require.NoError(t, rows.Scan(&wk, &n, &s, &lo, &hi))
			have = append(have, fmt.Sprintf("%d %d %s %d %d", wk, n, s, lo, hi))
		}
		require.NoError(t, rows.Err())
		sort.Strings(have)
		require.Equal(t, want, have, "cycle %d: acc_stats after recovery", cycle)
		require.NoError(t, conn.Close(ctx))
		t.Logf("cycle %d: %d rows checked; in flight at the kill so far: %d applied, %d not", cycle, len(got), inFlightDone, inFlightNot)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "log:\n%s", tail)
	for _, w := range writers {
		acked += w.acks.Load()
	}
	t.Logf("pk durability: %d kills, %d statements acknowledged in all; in flight at a kill: %d applied, %d not",
		cycles, acked, inFlightDone, inFlightNot)
}

// directStats computes acc_stats from the rows, sorted.
func directStats(rows pkModel) []string {
	type agg struct{ n, s, lo, hi int64 }
	by := map[int64]*agg{}
	for id, a := range rows {
		g := by[id/pkCrashSpan]
		if g == nil {
			g = &agg{lo: a.ver, hi: a.ver}
			by[id/pkCrashSpan] = g
		}
		g.n++
		g.s += a.ver
		g.lo, g.hi = min(g.lo, a.ver), max(g.hi, a.ver)
	}
	var out []string
	for w, g := range by {
		out = append(out, fmt.Sprintf("%d %d %d %d %d", w, g.n, g.s, g.lo, g.hi))
	}
	sort.Strings(out)
	return out
}
