package exec_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/planner/plantest"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// memLog is an in-memory LogSource of (k text, v int8) inserts. failReads
// makes the next reads fail (panicOnRead: panic) to test failure handling.
type memLog struct {
	mu          sync.Mutex
	rows        [][]types.Datum
	failReads   int
	panicOnRead bool
}

func (l *memLog) ID() uint64               { return 7 }
func (l *memLog) Watermark() (int64, bool) { return 0, false }
func (l *memLog) Partitions() (int, error) { return 1, nil }
func (l *memLog) Dense() bool              { return true }
func (l *memLog) End(int) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.rows)), nil
}
func (l *memLog) append(rows ...[]types.Datum) {
	l.mu.Lock()
	l.rows = append(l.rows, rows...)
	l.mu.Unlock()
}
func (l *memLog) Read(_ int, from, to uint64) (planner.ChunkReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failReads > 0 {
		l.failReads--
		if l.panicOnRead {
			panic("operator exploded")
		}
		return nil, errors.New("read failed")
	}
	c := types.NewChunk([]types.T{types.TText, types.TInt8}, int(to-from))
	for _, r := range l.rows[from:to] {
		c.AppendRow(r)
	}
	return &oneChunk{c: c}, nil
}

type oneChunk struct{ c *types.Chunk }

func (o *oneChunk) Next(ctx context.Context) (*types.Chunk, error) {
	c := o.c
	o.c = nil
	return c, nil
}
func (o *oneChunk) Close() error { return nil }

// aggPlan is SELECT k, count(*), sum(v), min(v), max(v) FROM t GROUP BY k.
func aggPlan(t *testing.T) *planner.StreamPlan {
	cat := plantest.New()
	tbl := cat.AddTable("t", []planner.Column{{Name: "k", T: types.TText}, {Name: "v", T: types.TInt8}}, nil)
	k := &expr.ColRef{Idx: 0, T: types.TText, Name: "k"}
	v := &expr.ColRef{Idx: 1, T: types.TInt8, Name: "v"}
	agg := func(name string, args ...expr.Expr) planner.AggCall {
		var ts []types.T
		for _, a := range args {
			ts = append(ts, a.Type())
		}
		fn, err := expr.ResolveAgg(name, ts)
		require.NoError(t, err)
		return planner.AggCall{Fn: fn, Args: args}
	}
	n := &planner.HashAgg{Input: &planner.Scan{Rel: tbl}, GroupBy: []expr.Expr{k},
		Aggs: []planner.AggCall{agg("count"), agg("sum", v), agg("min", v), agg("max", v)}}
	n.Cols = []planner.Column{{Name: "k", T: types.TText}}
	for _, a := range n.Aggs {
		n.Cols = append(n.Cols, planner.Column{Name: a.Fn.Name, T: a.Fn.Ret})
	}
	p, err := planner.Streamify(n)
	require.NoError(t, err)
	return p
}

// mvRows reads MV 1's rows as text, sorted.
func mvRows(t *testing.T, st *state.Store, ts []types.T) []string {
	var out []string
	require.NoError(t, state.ScanPrefix(st, state.MVPrefix(1), func(_, v []byte) error {
		n, row, err := state.DecodeMVRow(v, ts, nil)
		require.NoError(t, err)
		for range n {
			out = append(out, fmt.Sprint(row))
		}
		return nil
	}))
	sort.Strings(out)
	return out
}

// expectAgg computes the aggregate directly.
func expectAgg(t *testing.T, rows [][]types.Datum, ts []types.T) []string {
	type acc struct{ n, s, lo, hi int64 }
	m := map[string]*acc{}
	for _, r := range rows {
		a := m[r[0].S]
		if a == nil {
			a = &acc{lo: r[1].I, hi: r[1].I}
			m[r[0].S] = a
		}
		a.n++
		a.s += r[1].I
		a.lo, a.hi = min(a.lo, r[1].I), max(a.hi, r[1].I)
	}
	var out []string
	for k, a := range m {
		c := types.NewChunk(ts, 1)
		row := []types.Datum{types.DString(k), types.DInt(a.n), {}, types.DInt(a.lo), types.DInt(a.hi)}
		d, err := types.ParseText(ts[2], fmt.Sprint(a.s), time.UTC)
		require.NoError(t, err)
		row[2] = d
		c.AppendRow(row)
		out = append(out, fmt.Sprint(c.Row(0)))
	}
	sort.Strings(out)
	return out
}

type runningDriver struct {
	d      *exec.Driver
	cancel context.CancelFunc
	done   chan struct{}
}

func startDriver(t *testing.T, st *state.Store, p *planner.StreamPlan, src exec.LogSource, maxRows uint64, stats *[]exec.BatchStats) *runningDriver {
	var mu sync.Mutex
	d, err := exec.NewDriver(exec.DriverConfig{QueryID: 1, MVID: 1, Name: "m", Plan: p, Store: st,
		Sources: []exec.LogSource{src}, MaxRowsPerBatch: maxRows, Logger: slog.New(slog.DiscardHandler),
		OnBatch: func(s exec.BatchStats) {
			if stats != nil {
				mu.Lock()
				*stats = append(*stats, s)
				mu.Unlock()
			}
		}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningDriver{d: d, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); require.NoError(t, d.Run(ctx)) }()
	return r
}

func (r *runningDriver) stop() { r.cancel(); <-r.done }

func flush(t *testing.T, d *exec.Driver, src exec.LogSource) {
	end, err := src.End(0)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.WaitCommitted(ctx, [][]uint64{{end}}))
}

func openMem(t *testing.T) *state.Store {
	st, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func row(k string, v int64) []types.Datum { return []types.Datum{types.DString(k), types.DInt(v)} }

// TestDriverRecovery: batches commit MV rows, offsets and state; a new
// driver on the same store continues where the last commit left off.
func TestDriverRecovery(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := &memLog{}
	var stats []exec.BatchStats
	r := startDriver(t, st, p, src, 0, &stats)
	src.append(row("a", 1), row("b", 5), row("a", 3))
	r.d.Poke()
	flush(t, r.d, src)
	require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts))
	r.stop()
	before := r.d.Status()
	require.Equal(t, [][]uint64{{3}}, before.Committed)

	src.append(row("a", -4), row("c", 9))
	r = startDriver(t, st, p, src, 0, nil)
	require.Equal(t, before.BatchID, r.d.Status().BatchID, "no batch replayed at start")
	r.d.Poke()
	flush(t, r.d, src)
	r.stop()
	require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts))
	end, err := state.ChangelogEnd(st, 1)
	require.NoError(t, err)
	require.Equal(t, end, r.d.ChangelogEnd(), "the published end is the committed changelog's")
	require.GreaterOrEqual(t, end, uint64(5), "+a +b, then -a +a +c at least")
}

// TestDriverFailure: a panicking operator marks the query failed, does not
// crash the process, and is retried from the last commit.
func TestDriverFailure(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := &memLog{}
	r := startDriver(t, st, p, src, 0, nil)
	defer r.stop()
	src.append(row("a", 1))
	flush(t, r.d, src)
	src.mu.Lock()
	src.failReads, src.panicOnRead = 2, true
	src.mu.Unlock()
	src.append(row("a", 2))
	r.d.Poke()
	require.Eventually(t, func() bool { return r.d.Status().Status == exec.StatusFailed }, 5*time.Second, 5*time.Millisecond)
	require.Contains(t, r.d.Status().Err, "operator exploded")
	require.Eventually(t, func() bool {
		s := r.d.Status()
		return s.Status == exec.StatusRunning && s.Committed[0][0] == 2
	}, 10*time.Second, 10*time.Millisecond)
	require.GreaterOrEqual(t, r.d.Status().Failures, int64(2))
	require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts))
}

// TestDriverPause: a paused query commits nothing and WaitCommitted says
// so; resumed, it catches up.
func TestDriverPause(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := &memLog{}
	r := startDriver(t, st, p, src, 0, nil)
	defer r.stop()
	flush(t, r.d, src)
	r.d.Pause()
	require.Equal(t, exec.StatusPaused, r.d.Status().Status)
	src.append(row("x", 1))
	r.d.Poke()
	require.ErrorIs(t, r.d.WaitCommitted(context.Background(), [][]uint64{{1}}), exec.ErrPaused)
	require.Empty(t, mvRows(t, st, ts))
	r.d.Resume()
	flush(t, r.d, src)
	require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts))
}

// TestDriverReplay: a batch that failed after planning its ranges is
// replayed with exactly those ranges by the next driver, even though the
// input grew since.
func TestDriverReplay(t *testing.T) {
	st, p := openMem(t), aggPlan(t)
	ts := planner.Types(p.Root.Schema())
	src := &memLog{failReads: 1000}
	src.append(row("a", 1), row("b", 2))
	r := startDriver(t, st, p, src, 0, nil)
	require.Eventually(t, func() bool { return r.d.Status().Status == exec.StatusFailed }, 5*time.Second, 5*time.Millisecond)
	r.stop()
	src.mu.Lock()
	src.failReads = 0
	src.mu.Unlock()
	src.append(row("c", 3))
	var stats []exec.BatchStats
	r = startDriver(t, st, p, src, 0, &stats)
	flush(t, r.d, src)
	r.stop()
	require.True(t, stats[0].Replay)
	require.Equal(t, []exec.Range{{Source: 7, From: 0, To: 2}}, stats[0].Ranges)
	require.Equal(t, uint64(1), stats[0].BatchID)
	require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts))
}

// TestDriverMetamorphic feeds random rows in random steps, with random
// batch sizes and random restarts, and checks the MV against the
// aggregate computed directly.
func TestDriverMetamorphic(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 4; round++ {
		st, p := openMem(t), aggPlan(t)
		ts := planner.Types(p.Root.Schema())
		src := &memLog{}
		r := startDriver(t, st, p, src, uint64(1+rng.Intn(7)), nil)
		for step := 0; step < 30; step++ {
			for range rng.Intn(10) {
				src.append(row(string(rune('a'+rng.Intn(5))), int64(rng.Intn(100)-50)))
			}
			r.d.Poke()
			switch rng.Intn(4) {
			case 0:
				r.stop()
				r = startDriver(t, st, p, src, uint64(1+rng.Intn(7)), nil)
			case 1:
				flush(t, r.d, src)
			}
		}
		flush(t, r.d, src)
		r.stop()
		require.Equal(t, expectAgg(t, src.rows, ts), mvRows(t, st, ts), "seed %d round %d", seed, round)
		require.True(t, slices.Equal(r.d.Committed()[0], []uint64{uint64(len(src.rows))}))
	}
}
