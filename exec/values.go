package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
)

// Values is the source of constant rows; each row's expressions are
// evaluated when the source runs (so parameters and subqueries take the
// execution's values).
type Values struct {
	n   *planner.Values
	out Consumer
}

// NewValues returns the source for n.
func NewValues(n *planner.Values, out Consumer) *Values { return &Values{n: n, out: out} }

// Step evaluates all rows, pushes them and finishes the downstream.
func (s *Values) Step(ctx *Ctx) (bool, error) {
	em := newEmitter(s.out, planner.Types(s.n.Cols))
	for _, row := range s.n.Rows {
		c := em.chunk()
		for i, e := range row {
			d, err := expr.EvalConst(ctx.Eval, e)
			if err != nil {
				return false, err
			}
			c.Cols[i].Append(d)
		}
		if err := em.rowDone(ctx); err != nil {
			return false, err
		}
	}
	if err := em.flush(ctx); err != nil {
		return false, err
	}
	return true, s.out.Finish(ctx)
}

// Close does nothing.
func (s *Values) Close() error { return nil }
