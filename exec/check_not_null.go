package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// CheckNotNull fails with 23502 on the first row with NULL in a NOT NULL
// column; otherwise it passes chunks through.
type CheckNotNull struct {
	n   *planner.CheckNotNull
	out Consumer
}

// NewCheckNotNull returns the operator for n.
func NewCheckNotNull(n *planner.CheckNotNull, out Consumer) *CheckNotNull {
	return &CheckNotNull{n: n, out: out}
}

func (o *CheckNotNull) Push(ctx *Ctx, c *types.Chunk) error {
	cols := o.n.Schema()
	for _, j := range o.n.Cols {
		if c.Cols[j].Nulls.Any() {
			return pgerror.New(pgerror.CodeNotNullViolation, "null value in column %q of relation %q violates not-null constraint", cols[j].Name, o.n.Table)
		}
	}
	return o.out.Push(ctx, c)
}

func (o *CheckNotNull) Finish(ctx *Ctx) error { return o.out.Finish(ctx) }
