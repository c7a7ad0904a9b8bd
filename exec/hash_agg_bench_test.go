package exec_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/weirdb/weir/exec"
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// maxByGroup is SELECT c0, max(c1), min(c1), count(*) FROM t GROUP BY c0
// over (int8 group, timestamp value) rows.
func maxByGroup(t testing.TB) *planner.HashAgg {
	ts := []types.T{types.TInt8, types.TTimestamp}
	n := &planner.HashAgg{Input: &planner.Values{Cols: cols(ts)}, GroupBy: []expr.Expr{colRef(ts, 0)}}
	n.Cols = []planner.Column{{Name: "g", T: types.TInt8}}
	for _, name := range []string{"max", "min"} {
		fn, err := expr.ResolveAgg(name, ts[1:])
		require.NoError(t, err)
		n.Aggs = append(n.Aggs, planner.AggCall{Fn: fn, Args: []expr.Expr{colRef(ts, 1)}})
		n.Cols = append(n.Cols, planner.Column{Name: name, T: fn.Ret})
	}
	fn, err := expr.ResolveAgg("count", []types.T{types.TInt4})
	require.NoError(t, err)
	n.Aggs = append(n.Aggs, planner.AggCall{Fn: fn, Args: []expr.Expr{&expr.Const{D: types.DInt(1), T: types.TInt4}}})
	n.Cols = append(n.Cols, planner.Column{Name: "count", T: fn.Ret})
	return n
}

// groupChunks returns rows chunks of n rows each: group i%groups, value a
// distinct timestamp per row (the worst case for a multiset).
func groupChunks(rows, n, groups int) []*types.Chunk {
	var out []*types.Chunk
	for start := 0; start < rows; start += n {
		c := types.NewChunk([]types.T{types.TInt8, types.TTimestamp}, n)
		for i := start; i < min(start+n, rows); i++ {
			c.Cols[0].Append(types.DInt(int64(i % groups)))
			c.Cols[1].Append(types.DInt(int64(i) * 1_000_000))
			c.N++
		}
		out = append(out, c)
	}
	return out
}

// TestHashAggAppendOnly checks that the append-only hint changes no result
// and that a retraction after it fails instead of being misapplied.
func TestHashAggAppendOnly(t *testing.T) {
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
	run := func(appendOnly bool) string {
		rec := &recorder{}
		a, err := exec.NewHashAgg(maxByGroup(t), rec)
		require.NoError(t, err)
		if appendOnly {
			a.SetAppendOnly()
		}
		for _, c := range groupChunks(5000, 1024, 7) {
			require.NoError(t, a.Push(ctx, c))
		}
		require.NoError(t, a.Finish(ctx))
		return rec.b.String()
	}
	got := run(true)
	require.Equal(t, run(false), got)
	require.Equal(t, "+ 0 1970-01-01 01:23:18 1970-01-01 00:00:00 715\n", got[:len("+ 0 1970-01-01 01:23:18 1970-01-01 00:00:00 715\n")])

	a, err := exec.NewHashAgg(maxByGroup(t), &recorder{})
	require.NoError(t, err)
	a.SetAppendOnly()
	c := groupChunks(2, 2, 1)[0]
	c.Ops = []types.Op{types.Insert, types.Delete}
	require.ErrorContains(t, a.Push(ctx, c), "append-only")
}

// BenchmarkHashAggMinMax folds 100 000 rows into 1000 groups through max,
// min and count, with and without the append-only hint a bounded plan
// gives.
func BenchmarkHashAggMinMax(b *testing.B) {
	chunks := groupChunks(100_000, 1024, 1000)
	ctx := &exec.Ctx{Context: context.Background(), Eval: &expr.EvalCtx{Location: time.UTC}}
	for _, tc := range []struct {
		name       string
		appendOnly bool
	}{{"retractable", false}, {"append_only", true}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				a, err := exec.NewHashAgg(maxByGroup(b), &recorder{})
				require.NoError(b, err)
				if tc.appendOnly {
					a.SetAppendOnly()
				}
				for _, c := range chunks {
					require.NoError(b, a.Push(ctx, c))
				}
				require.NoError(b, a.Finish(ctx))
			}
			b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
