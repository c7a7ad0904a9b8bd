package exec_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// The metamorphic join tests feed the same changes to a streaming join in
// random batch splits and chunk sizes, with restarts from the committed
// state between batches and crashes in the middle of a batch (the batch's
// output and state are dropped and the batch is replayed), and check that
// the committed output, consolidated, equals the bounded join of the final
// inputs computed by a nested loop here.

// Every input row is (k int8 nullable, v int8, ts int8).
var jrowTypes = []types.T{types.TInt8, types.TInt8, types.TInt8}

type jevent struct {
	side int
	op   types.Op
	row  []types.Datum
}

// collectSink records output changes as row text → net count.
type collectSink struct {
	pending  map[string]int64
	barriers int
}

func (s *collectSink) Push(ctx *exec.Ctx, c *types.Chunk) error {
	for i := 0; i < c.N; i++ {
		s.pending[rowText(c.Row(i))] += int64(c.Op(i))
	}
	return nil
}
func (s *collectSink) Finish(*exec.Ctx) error                 { return nil }
func (s *collectSink) Barrier(*exec.Ctx, *exec.Barrier) error { s.barriers++; return nil }
func (s *collectSink) Watermark(*exec.Ctx, int64) error       { return nil }

func rowText(row []types.Datum) string {
	parts := make([]string, len(row))
	for i, d := range row {
		if d.Null {
			parts[i] = "NULL"
		} else {
			parts[i] = fmt.Sprint(d.I)
		}
	}
	return strings.Join(parts, " ")
}

// joinRun drives one randomized execution.
type joinRun struct {
	t         *testing.T
	rng       *rand.Rand
	store     *state.Store
	prefix    []byte
	build     func(out exec.Consumer) joinOp
	op        joinOp
	sink      *collectSink
	ctx       *exec.Ctx
	committed map[string]int64
	batch     uint64
}

func newJoinRun(t *testing.T, seed int64, build func(out exec.Consumer) joinOp) *joinRun {
	store, err := state.Open("", state.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	r := &joinRun{t: t, rng: rand.New(rand.NewSource(seed)), store: store, prefix: state.QueryOpPrefix(7, 3),
		build: build, committed: map[string]int64{},
		ctx: &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}, Watermark: exec.NoWatermark}}
	r.restart()
	return r
}

// restart rebuilds the operator from the committed state; output not
// committed is lost with it.
func (r *joinRun) restart() {
	r.sink = &collectSink{pending: map[string]int64{}}
	r.op = r.build(r.sink)
	require.NoError(r.t, r.op.LoadState(r.store, r.prefix))
}

func (r *joinRun) push(events []jevent) {
	for i := 0; i < len(events); {
		side := events[i].side
		n := 1 + r.rng.Intn(8)
		c := types.NewChunk(jrowTypes, n)
		c.Ops = []types.Op{}
		for ; i < len(events) && events[i].side == side && c.N < n; i++ {
			c.AppendRow(events[i].row)
			c.Ops[c.N-1] = events[i].op
		}
		port := r.op.Left()
		if side == 1 {
			port = r.op.Right()
		}
		require.NoError(r.t, port.Push(r.ctx, c))
	}
}

// runBatch runs one batch of events ending with watermark wm (none when
// hasWM is false), maybe crashing once in its middle first.
func (r *joinRun) runBatch(events []jevent, wm int64, hasWM bool) {
	if r.rng.Intn(5) == 0 && len(events) > 0 {
		r.push(events[:r.rng.Intn(len(events))])
		r.restart()
	}
	r.push(events)
	if hasWM {
		require.NoError(r.t, r.op.Left().Watermark(r.ctx, wm))
		require.NoError(r.t, r.op.Right().Watermark(r.ctx, wm))
	}
	r.batch++
	b := r.store.NewBatch()
	require.NoError(r.t, r.op.Left().Barrier(r.ctx, &exec.Barrier{BatchID: r.batch, W: b}))
	require.NoError(r.t, r.op.Right().Barrier(r.ctx, &exec.Barrier{BatchID: r.batch, W: b}))
	require.NoError(r.t, r.store.Apply(b, true))
	require.NoError(r.t, b.Close())
	for k, v := range r.sink.pending {
		r.committed[k] += v
		if r.committed[k] == 0 {
			delete(r.committed, k)
		}
	}
	clear(r.sink.pending)
	if hasWM {
		r.ctx.Watermark = wm
	}
	if r.rng.Intn(3) == 0 {
		r.restart()
	}
}

// stateKeys counts the committed state entries.
func (r *joinRun) stateKeys() int {
	n := 0
	require.NoError(r.t, state.ScanPrefix(r.store, r.prefix, func(k, v []byte) error { n++; return nil }))
	return n
}

// referenceJoin is the bounded join of the live rows: pairs match when
// their keys (columns keys) are equal and not NULL and match(l, r) holds.
func referenceJoin(kind planner.JoinKind, left, right [][]types.Datum, keys []int, match func(l, r []types.Datum) bool) map[string]int64 {
	out := map[string]int64{}
	nulls := []types.Datum{types.NullDatum, types.NullDatum, types.NullDatum}
	rMatched := make([]bool, len(right))
	for _, l := range left {
		found := false
		for j, rr := range right {
			ok := true
			for _, k := range keys {
				if l[k].Null || rr[k].Null || l[k].I != rr[k].I {
					ok = false
				}
			}
			if ok && match(l, rr) {
				found, rMatched[j] = true, true
				out[rowText(append(append([]types.Datum(nil), l...), rr...))]++
			}
		}
		if !found && (kind == planner.LeftJoin || kind == planner.FullJoin) {
			out[rowText(append(append([]types.Datum(nil), l...), nulls...))]++
		}
	}
	if kind == planner.RightJoin || kind == planner.FullJoin {
		for j, rr := range right {
			if !rMatched[j] {
				out[rowText(append(append([]types.Datum(nil), nulls...), rr...))]++
			}
		}
	}
	return out
}

// splitBatches cuts events into batches of random sizes.
func splitBatches(rng *rand.Rand, events []jevent) [][]jevent {
	var out [][]jevent
	for len(events) > 0 {
		n := min(len(events), 1+rng.Intn(25))
		out = append(out, events[:n])
		events = events[n:]
	}
	return out
}

var allJoinKinds = []planner.JoinKind{planner.InnerJoin, planner.LeftJoin, planner.RightJoin, planner.FullJoin}

func TestStreamJoinRandomSplits(t *testing.T) {
	left, right := &planner.Values{Cols: cols(jrowTypes)}, &planner.Values{Cols: cols(jrowTypes)}
	all := append(append([]types.T(nil), jrowTypes...), jrowTypes...)
	for _, kind := range allJoinKinds {
		for _, withResidual := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/residual=%v", kind, withResidual), func(t *testing.T) {
				n := &planner.StreamJoin{Kind: kind, Left: left, Right: right, WindowKey: -1,
					LeftKeys: []expr.Expr{colRef(jrowTypes, 0)}, RightKeys: []expr.Expr{colRef(jrowTypes, 0)}}
				match := func(l, r []types.Datum) bool { return true }
				if withResidual {
					n.Residual = comparison(t, all, "1<4") // l.v < r.v
					match = func(l, r []types.Datum) bool { return l[1].I < r[1].I }
				}
				for seed := int64(1); seed <= 12; seed++ {
					rng := rand.New(rand.NewSource(seed))
					// Random inserts and deletes of live rows on both sides.
					var events []jevent
					live := [2][][]types.Datum{}
					for range 300 {
						side := rng.Intn(2)
						if len(live[side]) > 0 && rng.Intn(3) == 0 {
							i := rng.Intn(len(live[side]))
							events = append(events, jevent{side, types.Delete, live[side][i]})
							live[side] = append(live[side][:i], live[side][i+1:]...)
							continue
						}
						k := types.DInt(int64(rng.Intn(5)))
						if rng.Intn(10) == 0 {
							k = types.NullDatum
						}
						row := []types.Datum{k, types.DInt(int64(rng.Intn(4))), types.DInt(0)}
						events = append(events, jevent{side, types.Insert, row})
						live[side] = append(live[side], row)
					}
					run := newJoinRun(t, seed*101, func(out exec.Consumer) joinOp {
						op, err := exec.NewStreamJoin(n, state.QueryOpPrefix(7, 3), out)
						require.NoError(t, err)
						return op
					})
					for _, b := range splitBatches(rng, events) {
						run.runBatch(b, 0, false)
					}
					want := referenceJoin(kind, live[0], live[1], []int{0}, match)
					require.Equal(t, want, run.committed, "seed %d", seed)
				}
			})
		}
	}
}

// eventTimeInput generates insert-only rows on both sides whose times are
// never below the watermark a driver could have computed before them
// (max time seen − delay), so that no row is late whatever the batch
// split. It returns the events with, per event, the max time seen after
// it.
func eventTimeInput(rng *rand.Rand, n int, delay int64, withNullKeys bool) ([]jevent, []int64) {
	var events []jevent
	var maxAfter []int64
	maxSeen := int64(1000)
	for range n {
		ts := maxSeen - rng.Int63n(delay+1) + rng.Int63n(4)
		maxSeen = max(maxSeen, ts)
		k := types.DInt(int64(rng.Intn(3)))
		if withNullKeys && rng.Intn(12) == 0 {
			k = types.NullDatum
		}
		events = append(events, jevent{rng.Intn(2), types.Insert, []types.Datum{k, types.DInt(int64(rng.Intn(4))), types.DInt(ts)}})
		maxAfter = append(maxAfter, maxSeen)
	}
	return events, maxAfter
}

// runEventTime runs events in random batches, each ending with the
// watermark max seen − delay, then a final watermark past every event;
// it returns the run (state must then be empty).
func runEventTime(t *testing.T, seed int64, events []jevent, maxAfter []int64, delay int64, build func(out exec.Consumer) joinOp) *joinRun {
	rng := rand.New(rand.NewSource(seed))
	run := newJoinRun(t, seed*31, build)
	late := 0
	run.ctx.Late = func(exec.LateRow) { late++ }
	pos := 0
	wm := exec.NoWatermark
	for _, b := range splitBatches(rng, events) {
		pos += len(b)
		wm = max(wm, maxAfter[pos-1]-delay)
		run.runBatch(b, wm, true)
	}
	run.runBatch(nil, 1<<40, true)
	require.Zero(t, late, "no row is late")
	return run
}

func TestIntervalJoinRandomSplits(t *testing.T) {
	left, right := &planner.Values{Cols: cols(jrowTypes)}, &planner.Values{Cols: cols(jrowTypes)}
	all := append(append([]types.T(nil), jrowTypes...), jrowTypes...)
	for _, kind := range []planner.JoinKind{planner.InnerJoin, planner.LeftJoin} {
		for _, b := range [][2]int64{{-5, 3}, {0, 10}, {2, 6}, {-8, -2}} {
			t.Run(fmt.Sprintf("%s/[%d,%d]", kind, b[0], b[1]), func(t *testing.T) {
				n := &planner.IntervalJoin{Kind: kind, Left: left, Right: right, LeftTime: 2, RightTime: 2, Lower: b[0], Upper: b[1],
					LeftKeys: []expr.Expr{colRef(jrowTypes, 0)}, RightKeys: []expr.Expr{colRef(jrowTypes, 0)},
					Residual: comparison(t, all, "1<>4")}
				match := func(l, r []types.Datum) bool {
					d := r[2].I - l[2].I
					return d >= b[0] && d <= b[1] && l[1].I != r[1].I
				}
				for seed := int64(1); seed <= 10; seed++ {
					const delay = 6
					events, maxAfter := eventTimeInput(rand.New(rand.NewSource(seed)), 250, delay, true)
					run := runEventTime(t, seed, events, maxAfter, delay, func(out exec.Consumer) joinOp {
						op, err := exec.NewIntervalJoin(n, state.QueryOpPrefix(7, 3), 0, 1, out)
						require.NoError(t, err)
						return op
					})
					var live [2][][]types.Datum
					for _, e := range events {
						live[e.side] = append(live[e.side], e.row)
					}
					require.Equal(t, referenceJoin(kind, live[0], live[1], []int{0}, match), run.committed, "seed %d", seed)
					for k, v := range run.committed {
						require.Positive(t, v, "append-only output: %s", k)
					}
					require.Zero(t, run.stateKeys(), "state dropped once the watermark passed every row")
				}
			})
		}
	}
}

func TestWindowJoinRandomSplits(t *testing.T) {
	// Column 2 holds the row's tumbling window end (size 10) instead of
	// its time; the join is on (k, window end).
	left, right := &planner.Values{Cols: cols(jrowTypes)}, &planner.Values{Cols: cols(jrowTypes)}
	for _, kind := range allJoinKinds {
		t.Run(kind.String(), func(t *testing.T) {
			n := &planner.StreamJoin{Kind: kind, Left: left, Right: right, WindowKey: 1,
				LeftKeys:  []expr.Expr{colRef(jrowTypes, 0), colRef(jrowTypes, 2)},
				RightKeys: []expr.Expr{colRef(jrowTypes, 0), colRef(jrowTypes, 2)}}
			for seed := int64(1); seed <= 10; seed++ {
				const delay = 8
				events, maxAfter := eventTimeInput(rand.New(rand.NewSource(seed)), 250, delay, true)
				for _, e := range events {
					e.row[2] = types.DInt((e.row[2].I/10)*10 + 10)
				}
				run := runEventTime(t, seed, events, maxAfter, delay, func(out exec.Consumer) joinOp {
					op, err := exec.NewStreamJoin(n, state.QueryOpPrefix(7, 3), out)
					require.NoError(t, err)
					return op
				})
				var live [2][][]types.Datum
				for _, e := range events {
					live[e.side] = append(live[e.side], e.row)
				}
				require.Equal(t, referenceJoin(kind, live[0], live[1], []int{0, 2}, func(l, r []types.Datum) bool { return true }),
					run.committed, "seed %d", seed)
				require.Zero(t, run.stateKeys(), "every window's state dropped once the watermark passed its end")
			}
		})
	}
}

func TestLookupJoinRandomSplits(t *testing.T) {
	for _, kind := range []planner.JoinKind{planner.InnerJoin, planner.LeftJoin} {
		t.Run(kind.String(), func(t *testing.T) {
			for seed := int64(1); seed <= 10; seed++ {
				rng := rand.New(rand.NewSource(seed))
				tbl := &fakeTable{cols: cols(jrowTypes), key: []int{0}, rows: map[string][]types.Datum{}}
				var tableRows [][]types.Datum
				for k := range 6 {
					if rng.Intn(3) > 0 {
						row := []types.Datum{types.DInt(int64(k)), types.DInt(int64(rng.Intn(4))), types.DInt(0)}
						tbl.rows[fmt.Sprint(k)] = row
						tableRows = append(tableRows, row)
					}
				}
				all := append(append([]types.T(nil), jrowTypes...), jrowTypes...)
				n := &planner.LookupJoin{Kind: kind, Input: &planner.Values{Cols: cols(jrowTypes)}, Rel: tbl,
					Keys: []expr.Expr{colRef(jrowTypes, 0)}, Residual: comparison(t, all, "1<=4")}
				var input [][]types.Datum
				for range 200 {
					k := types.DInt(int64(rng.Intn(8)))
					if rng.Intn(10) == 0 {
						k = types.NullDatum
					}
					input = append(input, []types.Datum{k, types.DInt(int64(rng.Intn(4))), types.DInt(0)})
				}
				ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
				got := map[string]int64{}
				for rest := input; len(rest) > 0; {
					// A fresh operator per batch: it keeps no state.
					sink := &collectSink{pending: map[string]int64{}}
					op, err := exec.NewLookupJoin(n, tbl, sink)
					require.NoError(t, err)
					m := min(len(rest), 1+rng.Intn(30))
					c := types.NewChunk(jrowTypes, m)
					for _, row := range rest[:m] {
						c.AppendRow(row)
					}
					rest = rest[m:]
					require.NoError(t, op.Push(ctx, c))
					require.NoError(t, op.Barrier(ctx, &exec.Barrier{}))
					for k, v := range sink.pending {
						got[k] += v
					}
				}
				want := referenceJoin(kind, input, tableRows, []int{0}, func(l, r []types.Datum) bool { return l[1].I <= r[1].I })
				require.Equal(t, want, got, "seed %d", seed)
			}
		})
	}
}
