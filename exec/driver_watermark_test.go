package exec_test

import (
	"context"
	"encoding/binary"
	"log/slog"
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

// evLog is an in-memory LogSource of (k text, ts timestamp) inserts; when
// wmOK is set it reports its own watermark wm (an upstream MV's).
type evLog struct {
	mu   sync.Mutex
	id   uint64
	rows [][]types.Datum
	wm   int64
	wmOK bool
}

func (l *evLog) ID() uint64               { return l.id }
func (l *evLog) Partitions() (int, error) { return 1, nil }
func (l *evLog) Dense() bool              { return true }
func (l *evLog) End(int) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.rows)), nil
}
func (l *evLog) Watermark() (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wm, l.wmOK
}
func (l *evLog) Read(_ int, from, to uint64) (planner.ChunkReader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := types.NewChunk([]types.T{types.TText, types.TTimestamp}, int(to-from))
	for _, r := range l.rows[from:to] {
		c.AppendRow(r)
	}
	return &oneChunk{c: c}, nil
}
func (l *evLog) append(rows ...[]types.Datum) {
	l.mu.Lock()
	l.rows = append(l.rows, rows...)
	l.mu.Unlock()
}

// sec is a (k, ts) row at s seconds after 2026-01-01 00:00:00.
func sec(k string, s int64) []types.Datum {
	return []types.Datum{types.DString(k), types.DInt(base + s*1_000_000)}
}

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// tumblePlan is SELECT * FROM TUMBLE(t, ts, INTERVAL '10 seconds') as a
// streaming plan: the window TVF is not fused, so it drops late rows.
func tumblePlan(t *testing.T) *planner.StreamPlan {
	cat := plantest.New()
	cols := []planner.Column{{Name: "k", T: types.TText}, {Name: "ts", T: types.TTimestamp}}
	tbl := cat.AddTable("t", cols, nil)
	size := &expr.Const{D: types.DInterval(types.IntervalValue{Micros: 10_000_000}), T: types.TInterval}
	n := &planner.WindowTVF{Kind: planner.Tumble, Input: &planner.Scan{Rel: tbl}, TimeCol: 1, Size: size,
		Cols: append(cols, planner.Column{Name: "window_start", T: types.TTimestamp}, planner.Column{Name: "window_end", T: types.TTimestamp})}
	p, err := planner.Streamify(n)
	require.NoError(t, err)
	return p
}

func startEvDriver(t *testing.T, st *state.Store, p *planner.StreamPlan, srcs []*evLog, specs []*exec.WatermarkSpec, stats *[]exec.BatchStats) *runningDriver {
	var mu sync.Mutex
	ls := make([]exec.LogSource, len(srcs))
	for i, s := range srcs {
		ls[i] = s
	}
	d, err := exec.NewDriver(exec.DriverConfig{QueryID: 1, MVID: 1, Name: "m", Plan: p, Store: st, Sources: ls,
		Watermarks: specs, Logger: slog.New(slog.DiscardHandler),
		OnBatch: func(s exec.BatchStats) {
			mu.Lock()
			*stats = append(*stats, s)
			mu.Unlock()
		}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningDriver{d: d, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(r.done); require.NoError(t, d.Run(ctx)) }()
	return r
}

func flushAll(t *testing.T, d *exec.Driver, srcs []*evLog) {
	targets := make([][]uint64, len(srcs))
	for i, s := range srcs {
		end, _ := s.End(0)
		targets[i] = []uint64{end}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.WaitCommitted(ctx, targets))
}

// TestDriverWatermark: the watermark is max event time − delay, advances
// at batch boundaries only (a batch's rows are judged against the previous
// batch's watermark), never moves back, is committed with the batch and
// survives a restart; late rows are dropped by the window TVF, counted and
// recorded with the watermark they missed.
func TestDriverWatermark(t *testing.T) {
	st, p := openMem(t), tumblePlan(t)
	ts := planner.Types(p.Root.Schema())
	src := &evLog{id: 7}
	srcs := []*evLog{src}
	specs := []*exec.WatermarkSpec{{Column: 1, Delay: 2_000_000}}
	var stats []exec.BatchStats
	r := startEvDriver(t, st, p, srcs, specs, &stats)

	// Batch: rows up to 12s; the watermark before it is none, so a row
	// at 1s in the same batch is not late. W = 12 − 2 = 10s.
	src.append(sec("a", 12), sec("b", 1), sec("c", 5))
	r.d.Poke()
	flushAll(t, r.d, srcs)
	last := stats[len(stats)-1]
	require.Equal(t, base+10_000_000, last.Watermark)
	require.Equal(t, []int64{0}, last.LateRows)
	require.Equal(t, base+10_000_000, r.d.Status().Watermark)

	// Next batch: 9s is below W=10s (late), 10s is not; 11s does not move
	// the watermark back.
	src.append(sec("d", 9), sec("e", 10), sec("f", 11))
	r.d.Poke()
	flushAll(t, r.d, srcs)
	last = stats[len(stats)-1]
	require.Equal(t, base+10_000_000, last.Watermark, "watermark never moves back")
	require.Equal(t, []int64{1}, last.LateRows)
	require.Len(t, last.Late, 1)
	require.Equal(t, exec.LateRow{Input: 0, EventTime: base + 9_000_000, Watermark: base + 10_000_000,
		Row: "(d, 2026-01-01 00:00:09)"}, last.Late[0])
	r.stop()

	// The MV holds every row but the late one.
	got := mvRows(t, st, ts)
	require.Len(t, got, 5)
	for _, g := range got {
		require.NotContains(t, g, "d ")
	}

	// A restarted driver resumes with the committed watermark.
	stats = nil
	r = startEvDriver(t, st, p, srcs, specs, &stats)
	require.Equal(t, base+10_000_000, r.d.Status().Watermark)
	wm, ok := r.d.Watermark()
	require.True(t, ok)
	require.Equal(t, base+10_000_000, wm)
	src.append(sec("g", 8), sec("h", 30))
	r.d.Poke()
	flushAll(t, r.d, srcs)
	r.stop()
	require.Equal(t, []int64{1}, stats[len(stats)-1].LateRows)
	require.Equal(t, base+28_000_000, stats[len(stats)-1].Watermark)
}

// TestDriverWatermarkMin: the query's watermark is the minimum over its
// inputs with event time; an input that declared one but read nothing
// holds it back; an input without one does not; an upstream that reports
// its own watermark counts with it, and a batch runs when only that
// watermark moved.
func TestDriverWatermarkMin(t *testing.T) {
	cat := plantest.New()
	cols := []planner.Column{{Name: "k", T: types.TText}, {Name: "ts", T: types.TTimestamp}}
	var root planner.Node
	for _, name := range []string{"a", "b", "c"} {
		var n planner.Node = &planner.Scan{Rel: cat.AddTable(name, cols, nil)}
		if root != nil {
			n = &planner.SetOp{Kind: planner.Union, All: true, Left: root, Right: n}
		}
		root = n
	}
	p, err := planner.Streamify(root)
	require.NoError(t, err)
	a, b, c := &evLog{id: 1}, &evLog{id: 2}, &evLog{id: 3, wmOK: true, wm: exec.NoWatermark}
	srcs := []*evLog{a, b, c}
	// a declares event time, b does not, c is an upstream with its own.
	specs := []*exec.WatermarkSpec{{Column: 1}, nil, nil}
	var stats []exec.BatchStats
	st := openMem(t)
	r := startEvDriver(t, st, p, srcs, specs, &stats)
	defer r.stop()

	b.append(sec("x", 100))
	r.d.Poke()
	flushAll(t, r.d, srcs)
	require.Equal(t, exec.NoWatermark, r.d.Status().Watermark, "a has read nothing: it holds the watermark back")

	a.append(sec("x", 50))
	r.d.Poke()
	flushAll(t, r.d, srcs)
	require.Equal(t, exec.NoWatermark, r.d.Status().Watermark, "c reports no watermark yet")

	c.mu.Lock()
	c.wm = base + 20_000_000
	c.mu.Unlock()
	n := len(stats)
	r.d.Poke()
	require.Eventually(t, func() bool { return r.d.Status().Watermark == base+20_000_000 }, 5*time.Second, 5*time.Millisecond,
		"an upstream watermark that moved runs a batch without input")
	require.Greater(t, r.d.Status().BatchID, uint64(n))

	c.mu.Lock()
	c.wm = base + 80_000_000
	c.mu.Unlock()
	r.d.Poke()
	require.Eventually(t, func() bool { return r.d.Status().Watermark == base+50_000_000 }, 5*time.Second, 5*time.Millisecond,
		"min(a: 50s, c: 80s); b has no event time")
}

// TestDriverMetaV1: a meta written before watermarks existed (version 1,
// no trailer) loads as "no watermark yet"; the next commit writes version
// 2.
func TestDriverMetaV1(t *testing.T) {
	st, p := openMem(t), tumblePlan(t)
	v := state.AppendHeader(nil, state.KindQueryMeta)
	for _, x := range []uint64{3, 0, 0, 0} { // batch 3, changelog end 0, nothing planned
		v = binary.AppendUvarint(v, x)
	}
	require.NoError(t, st.Set(state.QueryMetaKey(1), v, true))
	src := &evLog{id: 7}
	var stats []exec.BatchStats
	r := startEvDriver(t, st, p, []*evLog{src}, []*exec.WatermarkSpec{{Column: 1}}, &stats)
	require.Equal(t, uint64(3), r.d.Status().BatchID)
	require.Equal(t, exec.NoWatermark, r.d.Status().Watermark)
	src.append(sec("a", 1))
	r.d.Poke()
	flushAll(t, r.d, []*evLog{src})
	r.stop()
	require.Equal(t, uint64(4), stats[0].BatchID)
	require.Equal(t, []int64{0}, stats[0].LateRows)

	// Corrupt trailers are refused, never guessed at.
	got, ok, err := st.Get(state.QueryMetaKey(1))
	require.NoError(t, err)
	require.True(t, ok)
	for _, bad := range [][]byte{append(append([]byte(nil), got...), 0), got[:len(got)-1]} {
		require.NoError(t, st.Set(state.QueryMetaKey(1), bad, true))
		_, err := exec.NewDriver(exec.DriverConfig{QueryID: 1, MVID: 1, Name: "m", Plan: p, Store: st,
			Sources: []exec.LogSource{src}, Logger: slog.New(slog.DiscardHandler)})
		require.Error(t, err)
	}
}
