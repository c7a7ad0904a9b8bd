package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// GenerateSeries is the source of generate_series(start, stop [, step]).
// Integer series are generated directly; numeric and timestamp series add
// the step with the "+" operator the expr registry resolves for the types.
// NULL arguments yield no rows, as in PostgreSQL.
type GenerateSeries struct {
	n    *planner.GenerateSeries
	out  Consumer
	init bool
	done bool

	t               types.T
	cur, stop, step types.Datum
	plus            *expr.Func
	descending      bool
	stepVec         *types.Vec
}

// NewGenerateSeries returns the source for n.
func NewGenerateSeries(n *planner.GenerateSeries, out Consumer) *GenerateSeries {
	return &GenerateSeries{n: n, out: out, t: n.Cols[0].T}
}

func (g *GenerateSeries) setup(ctx *Ctx) error {
	g.init = true
	args := make([]types.Datum, len(g.n.Args))
	for i, a := range g.n.Args {
		d, err := expr.EvalConst(ctx.Eval, a)
		if err != nil {
			return err
		}
		if d.Null {
			g.done = true
			return nil
		}
		args[i] = d
	}
	g.cur, g.stop = args[0], args[1]
	var stepT types.T
	if len(args) == 3 {
		g.step = args[2]
		stepT = g.n.Args[2].Type()
	} else {
		if g.t.Phys() != types.PhysInt && g.t.Phys() != types.PhysDecimal {
			return pgerror.New(pgerror.CodeUndefinedFunction, "function generate_series(%s, %s) does not exist", g.t, g.t)
		}
		stepT = g.t
		g.step = types.DInt(1)
		if g.t.Phys() == types.PhysDecimal {
			one, err := expr.CastDatum(ctx.Eval, types.DInt(1), types.TInt4, types.TNumeric, true)
			if err != nil {
				return err
			}
			g.step = one
		}
	}
	zero := types.Datum{}
	switch stepT.Phys() {
	case types.PhysInt:
		zero = types.DInt(0)
	case types.PhysDecimal:
		z, err := expr.CastDatum(ctx.Eval, types.DInt(0), types.TInt4, types.TNumeric, true)
		if err != nil {
			return err
		}
		zero = z
	}
	c := types.Compare(stepT, g.step, zero)
	if c == 0 {
		return pgerror.New(pgerror.CodeInvalidParameterValue, "step size cannot equal zero")
	}
	g.descending = c < 0
	if g.t.Phys() != types.PhysInt || stepT.ID == types.Interval {
		f, err := expr.ResolveOperator("+", g.t, stepT)
		if err != nil {
			return err
		}
		g.plus = f
		g.stepVec = types.ConstVec(stepT, g.step, 1)
	}
	return nil
}

// Step emits up to one chunk of the series.
func (g *GenerateSeries) Step(ctx *Ctx) (bool, error) {
	if !g.init {
		if err := g.setup(ctx); err != nil {
			return false, err
		}
	}
	c := types.NewChunk([]types.T{g.t}, 64)
	for !g.done && c.N < MaxChunkRows {
		cmp := types.Compare(g.t, g.cur, g.stop)
		if (!g.descending && cmp > 0) || (g.descending && cmp < 0) {
			g.done = true
			break
		}
		c.Cols[0].Append(g.cur)
		c.N++
		if err := g.advance(ctx); err != nil {
			return false, err
		}
	}
	if c.N > 0 {
		if err := g.out.Push(ctx, c); err != nil {
			return false, err
		}
	}
	if g.done {
		return true, g.out.Finish(ctx)
	}
	return false, nil
}

func (g *GenerateSeries) advance(ctx *Ctx) error {
	if g.plus == nil {
		next := g.cur.I + g.step.I
		// Stop instead of overflowing, as PostgreSQL does.
		if (g.step.I > 0 && next < g.cur.I) || (g.step.I < 0 && next > g.cur.I) || !fitsInt(g.t, next) {
			g.done = true
			return nil
		}
		g.cur.I = next
		return nil
	}
	v, err := g.plus.Eval(ctx.Eval, []*types.Vec{types.ConstVec(g.t, g.cur, 1), g.stepVec}, 1)
	if err != nil {
		return err
	}
	g.cur = v.Datum(0)
	return nil
}

func fitsInt(t types.T, i int64) bool {
	switch t.ID {
	case types.Int2:
		return i >= -1<<15 && i < 1<<15
	case types.Int4:
		return i >= -1<<31 && i < 1<<31
	}
	return true
}

// Close does nothing.
func (g *GenerateSeries) Close() error { return nil }
