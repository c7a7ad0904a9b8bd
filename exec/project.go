package exec

import (
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// Project computes its expressions over each input chunk; the op of every
// row is kept (a projected Delete retracts the projected Insert).
type Project struct {
	exprs []expr.Evaluator
	out   Consumer
}

// NewProject compiles exprs.
func NewProject(exprs []expr.Expr, out Consumer) (*Project, error) {
	evs, err := compileAll(exprs)
	if err != nil {
		return nil, err
	}
	return &Project{exprs: evs, out: out}, nil
}

func (p *Project) Push(ctx *Ctx, c *types.Chunk) error {
	cols, err := evalAll(ctx, p.exprs, c)
	if err != nil {
		return err
	}
	return p.out.Push(ctx, &types.Chunk{Cols: cols, Ops: c.Ops, N: c.N})
}

func (p *Project) Finish(ctx *Ctx) error { return p.out.Finish(ctx) }
