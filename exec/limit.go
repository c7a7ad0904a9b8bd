package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Limit skips the first offset rows and passes at most count rows; the
// rest of the input is consumed and dropped. Count and offset are
// evaluated at the first Push or Finish. Limit counts rows regardless of
// their op (it is a bounded-plan operator; a streaming top-N is a
// different operator).
type Limit struct {
	n             *planner.Limit
	init          bool
	count, offset int64 // count -1: no limit
	seen          int64
	out           Consumer
}

// NewLimit returns the operator for n.
func NewLimit(n *planner.Limit, out Consumer) *Limit { return &Limit{n: n, out: out} }

// Done reports whether the limit has passed all the rows it ever will.
func (l *Limit) Done() bool { return l.init && l.count >= 0 && l.seen >= l.offset+l.count }

func (l *Limit) setup(ctx *Ctx) error {
	if l.init {
		return nil
	}
	l.init = true
	l.count = -1
	if l.n.Count != nil {
		d, err := expr.EvalConst(ctx.Eval, l.n.Count)
		if err != nil {
			return err
		}
		if !d.Null {
			if d.I < 0 {
				return pgerror.New(pgerror.CodeInvalidParameterValue, "LIMIT must not be negative")
			}
			l.count = d.I
		}
	}
	if l.n.Offset != nil {
		d, err := expr.EvalConst(ctx.Eval, l.n.Offset)
		if err != nil {
			return err
		}
		if !d.Null {
			if d.I < 0 {
				return pgerror.New(pgerror.CodeInvalidParameterValue, "OFFSET must not be negative")
			}
			l.offset = d.I
		}
	}
	return nil
}

func (l *Limit) Push(ctx *Ctx, c *types.Chunk) error {
	if err := l.setup(ctx); err != nil {
		return err
	}
	if l.Done() {
		return nil
	}
	start, end := int64(0), int64(c.N)
	if l.seen < l.offset {
		start = min(l.offset-l.seen, end)
	}
	if l.count >= 0 {
		end = min(end, l.offset+l.count-l.seen)
	}
	l.seen += int64(c.N)
	if start >= end {
		return nil
	}
	if start == 0 && end == int64(c.N) {
		return l.out.Push(ctx, c)
	}
	idx := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		idx = append(idx, int(i))
	}
	return l.out.Push(ctx, c.Gather(idx))
}

func (l *Limit) Finish(ctx *Ctx) error {
	if err := l.setup(ctx); err != nil {
		return err
	}
	return l.out.Finish(ctx)
}
