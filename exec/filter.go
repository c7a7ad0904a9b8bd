package exec

import (
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// Filter passes the rows for which its predicate is TRUE. A Delete row is
// passed or dropped exactly like the Insert it retracts, so filtering
// commutes with retraction.
type Filter struct {
	pred expr.Evaluator
	out  Consumer
}

// NewFilter compiles pred.
func NewFilter(pred expr.Expr, out Consumer) (*Filter, error) {
	ev, err := expr.Compile(pred)
	if err != nil {
		return nil, err
	}
	return &Filter{pred: ev, out: out}, nil
}

func (f *Filter) Push(ctx *Ctx, c *types.Chunk) error {
	sel, err := expr.Filter(ctx.Eval, f.pred, c)
	if err != nil {
		return err
	}
	switch len(sel) {
	case 0:
		return nil
	case c.N:
		return f.out.Push(ctx, c)
	}
	return f.out.Push(ctx, c.Gather(sel))
}

func (f *Filter) Finish(ctx *Ctx) error { return f.out.Finish(ctx) }
