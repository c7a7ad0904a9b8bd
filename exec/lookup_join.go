package exec

import (
	"slices"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Lookuper reads the current row of a keyed relation (a table's primary
// key index, an MV's rows by its key): key holds one value per key column,
// in key order. ok is false when no row has the key. It is called from the
// query's goroutine only; a returned row is not changed afterwards.
type Lookuper interface {
	Lookup(key []types.Datum) (row []types.Datum, ok bool, err error)
}

// LookupJoin is the lookup join (planner.LookupJoin, docs/joins.md): each
// row of its input is joined with the row of the relation whose key equals
// the row's key values, read when the row is processed. An inner join
// drops rows without a (residual-satisfying) match; a left join pads them
// with NULLs. A row with a NULL key value matches nothing. Output rows
// carry the input row's op. It keeps no state, so later changes of the
// relation do not revise earlier output (the planner admits only
// insert-only inputs). Watermarks and barriers pass through.
type LookupJoin struct {
	kind     planner.JoinKind
	keys     []expr.Evaluator
	residual expr.Evaluator
	rel      Lookuper
	relTs    []types.T
	outTs    []types.T
	out      Consumer
	keyBuf   []types.Datum
}

var _ WatermarkConsumer = (*LookupJoin)(nil)

// NewLookupJoin builds the operator of n reading rows through rel.
func NewLookupJoin(n *planner.LookupJoin, rel Lookuper, out Consumer) (*LookupJoin, error) {
	if n.Kind != planner.InnerJoin && n.Kind != planner.LeftJoin {
		return nil, pgerror.New(pgerror.CodeInternalError, "exec: a %s lookup join", n.Kind)
	}
	keys, err := compileAll(n.Keys)
	if err != nil {
		return nil, err
	}
	lj := &LookupJoin{kind: n.Kind, keys: keys, rel: rel, relTs: planner.Types(n.Rel.Columns()),
		outTs: planner.Types(n.Schema()), out: out}
	if n.Residual != nil {
		if lj.residual, err = expr.Compile(n.Residual); err != nil {
			return nil, err
		}
	}
	return lj, nil
}

// Push joins every row of c with its looked-up row.
func (lj *LookupJoin) Push(ctx *Ctx, c *types.Chunk) error {
	kv, err := evalAll(ctx, lj.keys, c)
	if err != nil {
		return err
	}
	// Candidate pairs (input row, looked-up row), then the residual.
	pairs := types.NewChunk(lj.outTs, c.N)
	pairs.Ops = make([]types.Op, 0, c.N)
	var from []int // input row of each pair
	for i := 0; i < c.N; i++ {
		if anyNull(kv, i) {
			continue
		}
		lj.keyBuf = lj.keyBuf[:0]
		for _, v := range kv {
			lj.keyBuf = append(lj.keyBuf, v.Datum(i))
		}
		row, ok, err := lj.rel.Lookup(lj.keyBuf)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if len(row) != len(lj.relTs) {
			return pgerror.New(pgerror.CodeInternalError, "lookup join: looked-up row has %d columns, want %d", len(row), len(lj.relTs))
		}
		pairs.AppendRow(append(c.Row(i), row...))
		pairs.Ops[pairs.N-1] = c.Op(i)
		from = append(from, i)
	}
	keep := make([]int, pairs.N)
	for k := range keep {
		keep[k] = k
	}
	if lj.residual != nil && pairs.N > 0 {
		if keep, err = expr.Filter(ctx.Eval, lj.residual, pairs); err != nil {
			return err
		}
	}
	out := pairs
	if len(keep) < pairs.N {
		out = pairs.Gather(keep)
	}
	if lj.kind == planner.LeftJoin {
		matched := make([]bool, c.N)
		for _, k := range keep {
			matched[from[k]] = true
		}
		for i := 0; i < c.N; i++ {
			if matched[i] {
				continue
			}
			row := c.Row(i)
			for range lj.relTs {
				row = append(row, types.NullDatum)
			}
			out.AppendRow(row)
			out.Ops[out.N-1] = c.Op(i)
		}
	}
	if out.Ops != nil && !slices.Contains(out.Ops, types.Delete) {
		out.Ops = nil
	}
	return pushSplit(ctx, lj.out, out)
}

// Finish ends a bounded execution.
func (lj *LookupJoin) Finish(ctx *Ctx) error { return lj.out.Finish(ctx) }

// Watermark forwards wm: a lookup join holds no windows.
func (lj *LookupJoin) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, lj.out, wm) }

// Barrier forwards b: a lookup join keeps no state.
func (lj *LookupJoin) Barrier(ctx *Ctx, b *Barrier) error { return forwardBarrier(ctx, lj.out, b) }
