package exec_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// windowAggNode builds a planner.WindowAgg from test arguments:
//
//	window_agg kind=tumble|hop|session size=s [slide=s] [gap=s] time=col
//	           types=(...) [group=(cols)] aggs=(...) [eowc] [appendonly]
//
// Lengths are in seconds; group and aggs are as for hash_agg.
func windowAggNode(t *testing.T, d *datadriven.TestData, ts []types.T) *planner.WindowAgg {
	input := &planner.Values{Cols: cols(ts)}
	h := hashAggNode(t, d, ts, input)
	var kind string
	var timeCol int
	d.ScanArgs(t, "kind", &kind)
	d.ScanArgs(t, "time", &timeCol)
	sec := func(key string) int64 {
		var v int64
		if d.HasArg(key) {
			d.ScanArgs(t, key, &v)
		}
		return v * 1_000_000
	}
	n := &planner.WindowAgg{Input: input, TimeCol: timeCol, GroupBy: h.GroupBy, Aggs: h.Aggs,
		EmitOnClose: d.HasArg("eowc"), AppendOnly: d.HasArg("appendonly")}
	switch kind {
	case "tumble":
		n.Kind, n.Size, n.Slide = planner.Tumble, sec("size"), sec("size")
	case "hop":
		n.Kind, n.Size, n.Slide = planner.Hop, sec("size"), sec("slide")
	case "session":
		n.Kind, n.Gap = planner.Session, sec("gap")
	default:
		t.Fatalf("unknown window kind %q", kind)
	}
	ng := len(h.GroupBy)
	n.Cols = append(append(slices.Clone(h.Cols[:ng]),
		planner.Column{Name: "window_start", T: ts[timeCol]}, planner.Column{Name: "window_end", T: ts[timeCol]}),
		h.Cols[ng:]...)
	return n
}

// windowWriter stages writes and describes window aggregate keys.
type windowWriter struct {
	b      *state.Batch
	prefix []byte
	keyTs  []types.T
	timeT  types.T
	log    []string
}

func (w *windowWriter) describe(k []byte) string {
	k = bytes.TrimPrefix(k, w.prefix)
	tag, k := k[0], k[1:]
	if tag == 'm' {
		return "meta"
	}
	var parts []string
	for _, t := range append(slices.Clone(w.keyTs), w.timeT) {
		d, rest, err := types.DecodeKey(k, t)
		if err != nil {
			return fmt.Sprintf("bad key %x: %v", k, err)
		}
		k = rest
		parts = append(parts, types.FormatText(t, d, time.UTC))
	}
	what := map[byte]string{'p': "pane", 's': "session"}[tag]
	return fmt.Sprintf("%s [%s] %s", what, strings.Join(parts[:len(parts)-1], " "), parts[len(parts)-1])
}

func (w *windowWriter) Set(k, v []byte) error {
	w.log = append(w.log, "set "+w.describe(k))
	return w.b.Set(k, v)
}

func (w *windowWriter) Delete(k []byte) error {
	w.log = append(w.log, "delete "+w.describe(k))
	return w.b.Delete(k)
}

// runWindowAgg runs one window_agg case of testdata/window_agg. Input
// lines are rows as for stream_agg ("+ a 1 1970-01-01T00:00:05"), "--"
// between chunks, and the commands
//
//	watermark <timestamp>   deliver the batch's watermark (after its rows);
//	                        later batches' rows see it as ctx.Watermark
//	barrier                 end the batch: print its output (watermark
//	                        output included), late rows and state writes,
//	                        and commit the writes
//	restart                 rebuild the operator from the committed state
func runWindowAgg(t *testing.T, d *datadriven.TestData) string {
	var tnames []string
	d.ScanArgs(t, "types", &tnames)
	ts := make([]types.T, len(tnames))
	for i, n := range tnames {
		ts[i] = parseType(t, n)
	}
	n := windowAggNode(t, d, ts)
	store, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	defer store.Close()
	prefix := state.QueryOpPrefix(1, 1)
	var late []string
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC},
		Watermark: exec.NoWatermark, Late: func(r exec.LateRow) {
			late = append(late, fmt.Sprintf("late %s (watermark %s)", r.Row,
				types.FormatText(types.TTimestamp, types.DInt(r.Watermark), time.UTC)))
		}}
	var sink *barrierSink
	var op *exec.WindowAgg
	build := func(batches int) {
		sink = &barrierSink{barriers: batches}
		op, err = exec.NewWindowAgg(n, sink)
		require.NoError(t, err)
		op.SetStreaming(prefix, 0)
		require.NoError(t, op.LoadState(store, prefix))
	}
	build(0)
	var out strings.Builder
	batch := 0
	var pending strings.Builder
	push := func() bool {
		for _, c := range parseChunks(t, ts, pending.String()) {
			if err := op.Push(ctx, c); err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
				pending.Reset()
				return false
			}
		}
		pending.Reset()
		return true
	}
	var keyTs []types.T
	for _, g := range n.GroupBy {
		keyTs = append(keyTs, g.Type())
	}
	for _, line := range strings.Split(d.Input, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "watermark":
			if !push() {
				continue
			}
			wm, err := types.ParseText(types.TTimestamp, f[1], time.UTC)
			require.NoError(t, err)
			require.NoError(t, op.Watermark(ctx, wm.I))
			ctx.Watermark = wm.I
		case len(f) == 1 && f[0] == "barrier":
			if !push() {
				continue
			}
			batch++
			b := store.NewBatch()
			w := &windowWriter{b: b, prefix: prefix, keyTs: keyTs, timeT: types.TTimestamp}
			require.NoError(t, op.Barrier(ctx, &exec.Barrier{BatchID: uint64(batch), W: w}))
			require.Equal(t, batch, sink.barriers, "barrier forwarded once")
			require.NoError(t, store.Apply(b, true))
			require.NoError(t, b.Close())
			fmt.Fprintf(&out, "batch %d:\n%s", batch, sink.b.String())
			sink.b.Reset()
			for _, l := range late {
				fmt.Fprintf(&out, "  %s\n", l)
			}
			late = late[:0]
			for _, l := range w.log {
				fmt.Fprintf(&out, "  state: %s\n", l)
			}
		case len(f) == 1 && f[0] == "restart":
			pending.Reset()
			fmt.Fprintf(&out, "restart\n")
			build(batch)
		default:
			pending.WriteString(line + "\n")
		}
	}
	return out.String()
}

// Watermark lets barrierSink sit under a windowed operator.
func (s *barrierSink) Watermark(ctx *exec.Ctx, wm int64) error { return nil }

var _ exec.WatermarkConsumer = (*barrierSink)(nil)

// windowInput is a random out-of-order stream for the metamorphic tests:
// rows (key, value, event time) in arrival order.
type windowRow struct {
	key string
	v   int64
	t   int64 // µs
}

func randomWindowInput(rng *rand.Rand, n int) []windowRow {
	rows := make([]windowRow, n)
	now := int64(0)
	for i := range rows {
		now += rng.Int64N(700_000)
		// Up to 3 s out of order.
		rows[i] = windowRow{key: string(rune('a' + rng.IntN(3))), v: rng.Int64N(50), t: now - rng.Int64N(3_000_000)}
	}
	return rows
}

// streamRun drives a WindowAgg over rows split into random batches, with a
// watermark (max event time - delay) after every batch and restarts from
// the committed state at random; it returns the final content of the
// output as a multiset (net of retractions), the late rows, and the pane
// updates of the last operator instance.
type streamRun struct {
	t      *testing.T
	n      *planner.WindowAgg
	store  *state.Store
	prefix []byte
	op     *exec.WindowAgg
	sink   *netSink
	ctx    *exec.Ctx
	late   int
}

// netSink keeps the net multiset of rows it received.
type netSink struct {
	rows     map[string]int
	barriers int
	inserts  int
}

func (s *netSink) Push(ctx *exec.Ctx, c *types.Chunk) error {
	for i := 0; i < c.N; i++ {
		parts := make([]string, len(c.Cols))
		for j, v := range c.Cols {
			parts[j] = types.FormatText(v.T, v.Datum(i), time.UTC)
		}
		k := strings.Join(parts, " | ")
		s.rows[k] += int(c.Op(i))
		if c.Op(i) == types.Insert {
			s.inserts++
		}
		if s.rows[k] == 0 {
			delete(s.rows, k)
		}
	}
	return nil
}
func (s *netSink) Finish(*exec.Ctx) error                  { return nil }
func (s *netSink) Barrier(*exec.Ctx, *exec.Barrier) error  { s.barriers++; return nil }
func (s *netSink) Watermark(ctx *exec.Ctx, wm int64) error { return nil }
func (s *netSink) result() string                          { return multiset(s.rows) }
func multiset(m map[string]int) string {
	var lines []string
	for k, c := range m {
		for range c {
			lines = append(lines, k)
		}
		if c < 0 {
			lines = append(lines, fmt.Sprintf("NEGATIVE %d: %s", c, k))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

var windowTs = []types.T{types.TText, types.TInt8, types.TTimestamp}

func windowTestNode(kind planner.WindowTVFKind, eowc bool) *planner.WindowAgg {
	input := &planner.Values{Cols: cols(windowTs)}
	count, _ := expr.ResolveAgg("count", nil)
	sum, _ := expr.ResolveAgg("sum", []types.T{types.TInt8})
	mx, _ := expr.ResolveAgg("max", []types.T{types.TInt8})
	n := &planner.WindowAgg{Input: input, Kind: kind, TimeCol: 2, GroupBy: []expr.Expr{colRef(windowTs, 0)},
		Aggs: []planner.AggCall{{Fn: count}, {Fn: sum, Args: []expr.Expr{colRef(windowTs, 1)}},
			{Fn: mx, Args: []expr.Expr{colRef(windowTs, 1)}}},
		EmitOnClose: eowc, AppendOnly: true}
	switch kind {
	case planner.Tumble:
		n.Size, n.Slide = 2_000_000, 2_000_000
	case planner.Hop:
		n.Size, n.Slide = 6_000_000, 2_000_000
	case planner.Session:
		n.Gap = 1_500_000
	}
	n.Cols = []planner.Column{{Name: "k", T: types.TText}, {Name: "window_start", T: types.TTimestamp},
		{Name: "window_end", T: types.TTimestamp}, {Name: "count", T: types.TInt8}, {Name: "sum", T: types.TNumeric},
		{Name: "max", T: types.TInt8}}
	return n
}

func newStreamRun(t *testing.T, n *planner.WindowAgg) *streamRun {
	store, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	r := &streamRun{t: t, n: n, store: store, prefix: state.QueryOpPrefix(7, 1), sink: &netSink{rows: map[string]int{}}}
	r.ctx = &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC},
		Watermark: exec.NoWatermark, Late: func(exec.LateRow) { r.late++ }}
	r.restart()
	return r
}

// restart rebuilds the operator from the committed state (the sink keeps
// what was committed before).
func (r *streamRun) restart() {
	op, err := exec.NewWindowAgg(r.n, r.sink)
	require.NoError(r.t, err)
	op.SetStreaming(r.prefix, 0)
	require.NoError(r.t, op.LoadState(r.store, r.prefix))
	r.op = op
}

// batch pushes rows, delivers wm and commits.
func (r *streamRun) batch(rows []windowRow, wm int64) {
	c := types.NewChunk(windowTs, len(rows))
	for _, w := range rows {
		c.AppendRow([]types.Datum{types.DString(w.key), types.DInt(w.v), types.DInt(w.t)})
	}
	if c.N > 0 {
		require.NoError(r.t, r.op.Push(r.ctx, c))
	}
	if wm > r.ctx.Watermark {
		require.NoError(r.t, r.op.Watermark(r.ctx, wm))
		r.ctx.Watermark = wm
	}
	b := r.store.NewBatch()
	require.NoError(r.t, r.op.Barrier(r.ctx, &exec.Barrier{BatchID: 1, W: b}))
	require.NoError(r.t, r.store.Apply(b, true))
	require.NoError(r.t, b.Close())
}

// stateEntries counts the operator's committed state entries.
func (r *streamRun) stateEntries() int {
	n := 0
	require.NoError(r.t, state.ScanPrefix(r.store, r.prefix, func(k, v []byte) error { n++; return nil }))
	return n
}

const windowDelay = 2_000_000

// runSplits feeds rows in random batches (and restarts) and returns the
// net output and the late row count. The watermark after a batch is the
// max event time seen minus windowDelay; a row's lateness depends on the
// batch split, so only rows within the delay are used by callers that
// compare splits.
func runSplits(t *testing.T, n *planner.WindowAgg, rows []windowRow, rng *rand.Rand, final int64) (string, int) {
	r := newStreamRun(t, n)
	maxSeen := int64(-1 << 62)
	for i := 0; i < len(rows); {
		j := min(len(rows), i+1+rng.IntN(12))
		for _, w := range rows[i:j] {
			maxSeen = max(maxSeen, w.t)
		}
		r.batch(rows[i:j], maxSeen-windowDelay)
		if rng.IntN(5) == 0 {
			r.restart()
		}
		i = j
	}
	r.batch(nil, final)
	return r.sink.result(), r.late
}

// TestWindowAggRandomSplits is metamorphic: the same out-of-order input,
// split into random batches with restarts from the committed state at
// random points, gives the same final output as another random split and
// as a bounded run of the same operator (every row within the watermark
// delay, so none is late). In EMIT ON WINDOW CLOSE
// mode the output is insert-only and, once a final watermark closes every
// window, equals the default mode's.
func TestWindowAggRandomSplits(t *testing.T) {
	for _, kind := range []planner.WindowTVFKind{planner.Tumble, planner.Hop, planner.Session} {
		for seed := uint64(0); seed < 8; seed++ {
			rng := rand.New(rand.NewPCG(seed, uint64(kind)))
			rows := randomWindowInput(rng, 120)
			// Keep rows within the delay of the running max: none late.
			var in []windowRow
			maxSeen := int64(-1 << 62)
			for _, w := range rows {
				if w.t >= maxSeen-windowDelay {
					in = append(in, w)
					maxSeen = max(maxSeen, w.t)
				}
			}
			final := maxSeen + 100_000_000
			bounded := boundedRun(t, windowTestNode(kind, false), in)
			def, late := runSplits(t, windowTestNode(kind, false), in, rng, final)
			require.Zero(t, late)
			require.Equal(t, bounded, def, "kind %d seed %d: default mode vs bounded", kind, seed)
			other, _ := runSplits(t, windowTestNode(kind, false), in, rand.New(rand.NewPCG(seed, 99)), final)
			require.Equal(t, bounded, other)
			eowc, late := runSplits(t, windowTestNode(kind, true), in, rng, final)
			require.Zero(t, late)
			require.Equal(t, bounded, eowc, "kind %d seed %d: EOWC vs bounded", kind, seed)
		}
	}
}

// boundedRun runs the operator as an ad-hoc query does.
func boundedRun(t *testing.T, n *planner.WindowAgg, rows []windowRow) string {
	sink := &netSink{rows: map[string]int{}}
	op, err := exec.NewWindowAgg(n, sink)
	require.NoError(t, err)
	op.SetAppendOnly()
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
	for i := 0; i < len(rows); i += 7 {
		c := types.NewChunk(windowTs, 7)
		for _, w := range rows[i:min(i+7, len(rows))] {
			c.AppendRow([]types.Datum{types.DString(w.key), types.DInt(w.v), types.DInt(w.t)})
		}
		require.NoError(t, op.Push(ctx, c))
	}
	require.NoError(t, op.Finish(ctx))
	return sink.result()
}

// TestWindowAggEOWCAppendOnly: in EMIT ON WINDOW CLOSE mode nothing is
// retracted and each window is emitted exactly once.
func TestWindowAggEOWCAppendOnly(t *testing.T) {
	for _, kind := range []planner.WindowTVFKind{planner.Tumble, planner.Hop, planner.Session} {
		rng := rand.New(rand.NewPCG(3, 3))
		rows := randomWindowInput(rng, 200)
		r := newStreamRun(t, windowTestNode(kind, true))
		maxSeen := int64(-1 << 62)
		for i := 0; i < len(rows); i += 10 {
			for _, w := range rows[i : i+10] {
				maxSeen = max(maxSeen, w.t)
			}
			r.batch(rows[i:i+10], maxSeen-windowDelay)
			if i%50 == 0 {
				r.restart()
			}
		}
		r.batch(nil, maxSeen+100_000_000)
		require.Equal(t, r.sink.inserts, strings.Count(r.sink.result(), "\n")+1, "every insert is still there: nothing retracted")
		for k, c := range r.sink.rows {
			require.Equal(t, 1, c, "window emitted more than once: %s", k)
		}
		require.Positive(t, r.late, "the input has rows beyond the delay")
		require.Zero(t, r.stateEntries()-1, "only the meta entry is left once every window closed")
	}
}

// TestWindowAggStateBounded: over a long input, the state holds only the
// panes of windows the watermark has not closed.
func TestWindowAggStateBounded(t *testing.T) {
	for _, kind := range []planner.WindowTVFKind{planner.Tumble, planner.Hop, planner.Session} {
		r := newStreamRun(t, windowTestNode(kind, false))
		rng := rand.New(rand.NewPCG(9, 9))
		rows := randomWindowInput(rng, 3000)
		maxSeen := int64(-1 << 62)
		most := 0
		for i := 0; i < len(rows); i += 20 {
			for _, w := range rows[i : i+20] {
				maxSeen = max(maxSeen, w.t)
			}
			r.batch(rows[i:i+20], maxSeen-windowDelay)
			most = max(most, r.stateEntries())
		}
		// 3 keys; windows of at most 6 s + 2 s delay + 3 s disorder, in
		// panes of 2 s: a handful of entries per key, whatever the input
		// length (~1000 s of event time).
		require.Less(t, most, 40, "kind %d", kind)
	}
}

// TestWindowAggOnePaneUpdatePerRow: the hop hot path folds each row into
// one pane, whatever size/slide is; the window TVF it replaces emits
// size/slide rows per input row.
func TestWindowAggOnePaneUpdatePerRow(t *testing.T) {
	n := windowTestNode(planner.Hop, false)
	n.Size, n.Slide = 60_000_000, 1_000_000 // 60 windows per row
	r := newStreamRun(t, n)
	rows := randomWindowInput(rand.New(rand.NewPCG(1, 2)), 500)
	r.batch(rows, exec.NoWatermark+1)
	require.Equal(t, int64(len(rows)), r.op.PaneUpdates())

	tvfRows := 0
	tvf := exec.NewWindowTVF(&planner.WindowTVF{Kind: planner.Hop, TimeCol: 2,
		Size:  &expr.Const{D: types.DInterval(types.IntervalValue{Micros: n.Size}), T: types.TInterval},
		Slide: &expr.Const{D: types.DInterval(types.IntervalValue{Micros: n.Slide}), T: types.TInterval}},
		countSink{&tvfRows})
	c := types.NewChunk(windowTs, len(rows))
	for _, w := range rows {
		c.AppendRow([]types.Datum{types.DString(w.key), types.DInt(w.v), types.DInt(w.t)})
	}
	require.NoError(t, tvf.Push(r.ctx, c))
	require.Equal(t, 60*len(rows), tvfRows)
}

type countSink struct{ n *int }

func (s countSink) Push(ctx *exec.Ctx, c *types.Chunk) error { *s.n += c.N; return nil }
func (s countSink) Finish(*exec.Ctx) error                   { return nil }
