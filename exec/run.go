package exec

import (
	"context"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// RowStream yields the result rows of an ad-hoc execution as chunks of at
// most MaxChunkRows rows, until Next returns (nil, nil). Close releases
// the execution (open scans) and may be called before the end. A
// RowStream is used by one goroutine.
type RowStream interface {
	Next(ctx context.Context) (*types.Chunk, error)
	Close()
}

// Run starts a bounded execution of a physical plan (the output of
// planner.Optimize). Execution is lazy and single-goroutine: each Next
// drives the plan's sources just far enough to produce output. evalCtx
// carries parameters and the statement time; Run installs its subquery
// evaluator in evalCtx.Subquery (so evalCtx must not be shared with a
// concurrent execution).
func Run(ctx context.Context, plan planner.Node, evalCtx *expr.EvalCtx) (RowStream, error) {
	sub := &subqueries{cache: map[*expr.Subquery]types.Datum{}, values: map[*expr.Subquery]*types.Vec{}}
	evalCtx.Subquery = sub.eval
	evalCtx.SubqueryValues = sub.valuesOf
	return start(ctx, plan, evalCtx)
}

func start(ctx context.Context, plan planner.Node, evalCtx *expr.EvalCtx) (*stream, error) {
	s := &stream{ctx: &Ctx{Context: ctx, Eval: evalCtx}}
	b := newBuilder(true) // bounded: sources yield inserts only
	if err := b.build(plan, (*sink)(s)); err != nil {
		return nil, err
	}
	s.sources = b.sources
	// A LIMIT at the top (under projections) ends the execution early.
	top := plan
	for {
		if p, ok := top.(*planner.Project); ok {
			top = p.Input
			continue
		}
		break
	}
	if l, ok := top.(*planner.Limit); ok {
		s.limit = b.limits[l]
	}
	return s, nil
}

// stream drives the sources in order and queues the root's output.
type stream struct {
	ctx      *Ctx
	sources  []Source
	next     int
	queue    []*types.Chunk
	finished bool
	err      error
	limit    *Limit
}

// sink is the root consumer of a stream.
type sink stream

func (k *sink) Push(ctx *Ctx, c *types.Chunk) error {
	if c.N > 0 {
		k.queue = append(k.queue, c)
	}
	return nil
}

func (k *sink) Finish(ctx *Ctx) error {
	k.finished = true
	return nil
}

func (s *stream) Next(ctx context.Context) (*types.Chunk, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.ctx.Context = ctx
	for len(s.queue) == 0 && !s.finished {
		if s.limit != nil && s.limit.Done() {
			s.Close()
			s.finished = true
			break
		}
		if err := ctx.Err(); err != nil {
			s.fail(pgerror.New(pgerror.CodeQueryCanceled, "canceling statement due to user request"))
			return nil, s.err
		}
		if s.next >= len(s.sources) {
			s.fail(pgerror.New(pgerror.CodeInternalError, "exec: sources exhausted before the plan finished"))
			return nil, s.err
		}
		done, err := s.sources[s.next].Step(s.ctx)
		if err != nil {
			s.fail(err)
			return nil, err
		}
		if done {
			s.next++
		}
	}
	if len(s.queue) == 0 {
		return nil, nil
	}
	c := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	return c, nil
}

func (s *stream) fail(err error) {
	s.err = err
	s.Close()
}

// Close closes every source that has not finished.
func (s *stream) Close() {
	for ; s.next < len(s.sources); s.next++ {
		_ = s.sources[s.next].Close()
	}
}

// subqueries evaluates expr.Subquery values for one execution: an
// uncorrelated subquery runs once and its value is cached; a correlated
// one runs for every outer row (EvalCtx.Outer holds the row).
type subqueries struct {
	cache  map[*expr.Subquery]types.Datum
	values map[*expr.Subquery]*types.Vec
}

// valuesOf returns the first column of all rows of an IN subquery.
func (s *subqueries) valuesOf(ectx *expr.EvalCtx, sq *expr.Subquery) (*types.Vec, error) {
	if !sq.Correlated {
		if v, ok := s.values[sq]; ok {
			return v, nil
		}
	}
	plan, ok := sq.Plan.(planner.Node)
	if !ok {
		return nil, pgerror.New(pgerror.CodeInternalError, "exec: subquery %d has no plan", sq.ID)
	}
	st, err := start(context.Background(), plan, ectx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := types.NewVec(plan.Schema()[0].T, 16)
	for {
		c, err := st.Next(st.ctx.Context)
		if err != nil {
			return nil, err
		}
		if c == nil {
			break
		}
		for i := 0; i < c.N; i++ {
			out.AppendFrom(c.Cols[0], i)
		}
	}
	if !sq.Correlated {
		s.values[sq] = out
	}
	return out, nil
}

func (s *subqueries) eval(ectx *expr.EvalCtx, sq *expr.Subquery) (types.Datum, error) {
	if !sq.Correlated {
		if d, ok := s.cache[sq]; ok {
			return d, nil
		}
	}
	plan, ok := sq.Plan.(planner.Node)
	if !ok {
		return types.Datum{}, pgerror.New(pgerror.CodeInternalError, "exec: subquery %d has no plan", sq.ID)
	}
	st, err := start(context.Background(), plan, ectx)
	if err != nil {
		return types.Datum{}, err
	}
	defer st.Close()
	var d types.Datum
	switch sq.Kind {
	case expr.SubqueryExists:
		c, err := st.Next(st.ctx.Context)
		if err != nil {
			return types.Datum{}, err
		}
		d = types.DBool(c != nil)
	case expr.SubqueryScalar:
		d = types.NullDatum
		seen := 0
		for {
			c, err := st.Next(st.ctx.Context)
			if err != nil {
				return types.Datum{}, err
			}
			if c == nil {
				break
			}
			seen += c.N
			if seen > 1 {
				return types.Datum{}, pgerror.New(pgerror.CodeCardinalityViolation, "more than one row returned by a subquery used as an expression")
			}
			d = c.Cols[0].Datum(0)
		}
	default:
		return types.Datum{}, pgerror.NotSupported("IN (subquery) evaluated as a value")
	}
	if !sq.Correlated {
		s.cache[sq] = d
	}
	return d, nil
}

// Collect runs a plan to the end and returns all result rows in one chunk
// (for tests, INSERT ... SELECT and small internal queries).
func Collect(ctx context.Context, plan planner.Node, evalCtx *expr.EvalCtx) (*types.Chunk, error) {
	rs, err := Run(ctx, plan, evalCtx)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := types.NewChunk(planner.Types(plan.Schema()), 64)
	for {
		c, err := rs.Next(ctx)
		if err != nil {
			return nil, err
		}
		if c == nil {
			return out, nil
		}
		appendChunk(out, c)
	}
}
