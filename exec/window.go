package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Window computes window functions. It buffers its whole input; at Finish
// it computes every function per partition (rows equal on PARTITION BY,
// NULLs equal) in ORDER BY order (stable, so ties keep input order) and
// emits the input rows in input order with one column appended per
// function. Aggregates over a frame use one expr.AggState with one group
// per partition and slide the frame by folding rows in as they enter and
// retracting them (Delete) as they leave, so a ROWS frame costs O(1)
// aggregate updates per row. It is a bounded-plan operator: input ops are
// ignored (a streaming over-window is a different operator).
type Window struct {
	n   *planner.Window
	buf *types.Chunk
	out Consumer
}

// NewWindow returns the operator for n.
func NewWindow(n *planner.Window, out Consumer) (*Window, error) {
	for _, f := range n.Funcs {
		if !f.Frame.Rows && (f.Frame.Start == planner.OffsetPreceding || f.Frame.Start == planner.OffsetFollowing ||
			f.Frame.End == planner.OffsetPreceding || f.Frame.End == planner.OffsetFollowing) {
			return nil, pgerror.NotSupported("RANGE with offset PRECEDING/FOLLOWING is not supported")
		}
	}
	return &Window{n: n, out: out, buf: types.NewChunk(planner.Types(n.Input.Schema()), 64)}, nil
}

func (w *Window) Push(ctx *Ctx, c *types.Chunk) error {
	appendChunk(w.buf, c)
	return nil
}

func (w *Window) Finish(ctx *Ctx) error {
	n := w.buf.N
	out := &types.Chunk{Cols: w.buf.Cols, N: n}
	for _, f := range w.n.Funcs {
		v, err := w.compute(ctx, f)
		if err != nil {
			return err
		}
		out.Cols = append(out.Cols, v)
	}
	w.buf = nil
	if err := pushSplit(ctx, w.out, out); err != nil {
		return err
	}
	return w.out.Finish(ctx)
}

// compute returns f's value for every buffered row, in buffer order.
func (w *Window) compute(ctx *Ctx, f planner.WindowFunc) (*types.Vec, error) {
	n := w.buf.N
	pevs, err := compileAll(f.PartitionBy)
	if err != nil {
		return nil, err
	}
	pv, err := evalAll(ctx, pevs, w.buf)
	if err != nil {
		return nil, err
	}
	okeys := make([]expr.Expr, len(f.OrderBy))
	for i, k := range f.OrderBy {
		okeys[i] = k.E
	}
	oevs, err := compileAll(okeys)
	if err != nil {
		return nil, err
	}
	ov, err := evalAll(ctx, oevs, w.buf)
	if err != nil {
		return nil, err
	}
	// Partition rows, then order each partition.
	groups := make([]int32, n)
	pid := map[string]int32{}
	var parts [][]int
	var kb []byte
	for i := 0; i < n; i++ {
		kb = rowKey(kb[:0], pv, i)
		g, ok := pid[string(kb)]
		if !ok {
			g = int32(len(parts))
			pid[string(kb)] = g
			parts = append(parts, nil)
		}
		groups[i] = g
		parts[g] = append(parts[g], i)
	}
	for _, p := range parts {
		sortRowsStable(p, f.OrderBy, ov)
	}
	res := make([]types.Datum, n)
	switch f.Kind {
	case planner.WindowRowNumber, planner.WindowRank, planner.WindowDenseRank:
		for _, p := range parts {
			rank, dense := int64(0), int64(0)
			for pos, r := range p {
				if pos == 0 || compareRows(f.OrderBy, ov, p[pos-1], r) != 0 {
					rank = int64(pos) + 1
					dense++
				}
				switch f.Kind {
				case planner.WindowRowNumber:
					res[r] = types.DInt(int64(pos) + 1)
				case planner.WindowRank:
					res[r] = types.DInt(rank)
				default:
					res[r] = types.DInt(dense)
				}
			}
		}
	default:
		if err := w.aggregate(ctx, f, groups, parts, ov, res); err != nil {
			return nil, err
		}
	}
	v := types.NewVec(f.T, n)
	for _, d := range res {
		v.Append(d)
	}
	return v, nil
}

// aggregate computes an aggregate window function over each row's frame.
func (w *Window) aggregate(ctx *Ctx, f planner.WindowFunc, groups []int32, parts [][]int, ov []*types.Vec, res []types.Datum) error {
	n := w.buf.N
	aevs, err := compileAll(f.Args)
	if err != nil {
		return err
	}
	args, err := evalAll(ctx, aevs, w.buf)
	if err != nil {
		return err
	}
	argTypes := make([]types.T, len(f.Args))
	for i, e := range f.Args {
		argTypes[i] = e.Type()
	}
	st := f.Agg.New(argTypes, f.Agg.Ret)
	st.Grow(len(parts))
	dels := make([]types.Op, n)
	for i := range dels {
		dels[i] = types.Delete
	}
	tmp := types.NewVec(f.T, 1)
	sel := make([]int, 1)
	for _, p := range parts {
		// peerEnd[pos] is the last position of pos's peer group;
		// peerStart[pos] the first.
		m := len(p)
		peerStart, peerEnd := make([]int, m), make([]int, m)
		for pos := 0; pos < m; pos++ {
			if pos > 0 && compareRows(f.OrderBy, ov, p[pos-1], p[pos]) == 0 {
				peerStart[pos] = peerStart[pos-1]
			} else {
				peerStart[pos] = pos
			}
		}
		for pos := m - 1; pos >= 0; pos-- {
			if pos < m-1 && peerStart[pos+1] == peerStart[pos] {
				peerEnd[pos] = peerEnd[pos+1]
			} else {
				peerEnd[pos] = pos
			}
		}
		lo, hi := 0, -1 // frame rows currently folded into st: positions [lo, hi]
		for pos := 0; pos < m; pos++ {
			s, e := frameBounds(f.Frame, pos, m, peerStart[pos], peerEnd[pos])
			if e < s {
				// Empty frame: the aggregate of no rows.
				e = s - 1
			}
			for hi < e {
				hi++
				if hi >= lo {
					sel[0] = p[hi]
					if err := st.Update(ctx.Eval, groups, args, nil, sel); err != nil {
						return err
					}
				}
			}
			for lo < s {
				if lo <= hi {
					sel[0] = p[lo]
					if err := st.Update(ctx.Eval, groups, args, dels, sel); err != nil {
						return err
					}
				}
				lo++
			}
			if hi < lo-1 {
				hi = lo - 1
			}
			st.Result(groups[p[pos]], tmp)
			res[p[pos]] = tmp.Datum(tmp.Len() - 1)
		}
	}
	return nil
}

// frameBounds returns the inclusive positions [s, e] of the frame of the
// row at pos in a partition of m rows (e < s for an empty frame). Both are
// non-decreasing in pos, which the sliding aggregation relies on.
func frameBounds(f planner.Frame, pos, m, peerStart, peerEnd int) (s, e int) {
	switch f.Start {
	case planner.UnboundedPreceding:
		s = 0
	case planner.OffsetPreceding:
		s = pos - int(f.StartOffset)
	case planner.CurrentRow:
		s = pos
		if !f.Rows {
			s = peerStart
		}
	case planner.OffsetFollowing:
		s = pos + int(f.StartOffset)
	default:
		s = m
	}
	switch f.End {
	case planner.UnboundedFollowing:
		e = m - 1
	case planner.OffsetFollowing:
		e = pos + int(f.EndOffset)
	case planner.CurrentRow:
		e = pos
		if !f.Rows {
			e = peerEnd
		}
	case planner.OffsetPreceding:
		e = pos - int(f.EndOffset)
	default:
		e = -1
	}
	return max(s, 0), min(e, m-1)
}

// sortRowsStable orders the row indexes rows by keys over kv, stably.
func sortRowsStable(rows []int, keys []planner.SortKey, kv []*types.Vec) {
	if len(keys) == 0 {
		return
	}
	idx := sortedIndexOf(rows, keys, kv)
	copy(rows, idx)
}

func sortedIndexOf(rows []int, keys []planner.SortKey, kv []*types.Vec) []int {
	out := append([]int(nil), rows...)
	stableSort(out, func(a, b int) int { return compareRows(keys, kv, a, b) })
	return out
}
