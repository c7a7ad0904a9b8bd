package exec

import (
	"context"
	"math"
	"time"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// MaxChunkRows is the largest number of rows an operator puts in one
// chunk it emits.
const MaxChunkRows = 1024

// Ctx is what operators share during one execution of a plan: the Go
// context (for cancellation) and the expression evaluation context
// (parameters, statement time, subquery evaluation). It is used by one
// goroutine.
type Ctx struct {
	Context context.Context
	Eval    *expr.EvalCtx
	// Watermark is the event-time watermark (µs) in effect for the rows
	// being pushed in a continuous query: W(N-1), the watermark committed
	// with the previous batch (docs/windows.md). NoWatermark when the
	// query has none (or none yet). The driver sets it; bounded plans
	// leave it 0 and operators must read it only in streaming mode.
	Watermark int64
	// Late receives the rows an operator drops as late (event time below
	// Watermark). Set by the driver for continuous queries; nil in bounded
	// plans. Operators call ReportLate rather than Late directly.
	Late func(LateRow)
}

// NoWatermark is Ctx.Watermark of a continuous query without a watermark:
// below every event time, so no row is late and no window closes.
const NoWatermark int64 = math.MinInt64

// LateRow is a row an operator dropped because its event time was below
// the watermark (docs/windows.md, "Late rows").
type LateRow struct {
	// Input is the index of the plan input (StreamPlan.Inputs) the row
	// came from; the driver names the source. Operators that cannot tell
	// report -1, which the driver attributes to the query's first input
	// with a watermark.
	Input int
	// EventTime is the row's event time (µs), Watermark the one it missed.
	EventTime, Watermark int64
	// Row is the row as text, as weir_catalog.late_rows shows it.
	Row string
}

// ReportLate passes r to ctx.Late when it is set; bounded plans drop
// nothing as late, so there it does nothing.
func (ctx *Ctx) ReportLate(r LateRow) {
	if ctx.Late != nil {
		ctx.Late(r)
	}
}

// FormatRow renders row i of c as text for LateRow.Row: the columns' text
// forms (UTC for timestamptz) separated by ", " in parentheses, NULL as
// NULL.
func FormatRow(c *types.Chunk, i int) string {
	buf := []byte{'('}
	for j, v := range c.Cols {
		if j > 0 {
			buf = append(buf, ", "...)
		}
		if v.IsNull(i) {
			buf = append(buf, "NULL"...)
			continue
		}
		buf = v.AppendText(buf, i, time.UTC)
	}
	return string(append(buf, ')'))
}

// Consumer receives the output of an operator.
//
// The protocol, for every input of every operator: zero or more Push calls,
// then exactly one Finish. A chunk passed to Push is owned by the receiver
// from then on; the sender must not change it (the receiver may keep it).
// A chunk with Ops carries changes: an operator must treat a Delete row as
// the retraction of an equal earlier Insert. Operators in bounded plans see
// nil Ops (all inserts), but every operator documents how it treats
// deletes so the same operators serve continuous queries.
//
// An error from Push or Finish aborts the whole execution; no further
// calls are made.
//
// Continuous queries will add two optional hooks, implemented by stateful
// operators and forwarded by the rest: Barrier(ctx, batchID) (flush pending
// output and stage state writes for the batch's commit) and Watermark(ctx,
// t) (event time has passed t: fire and drop windows). Bounded plans call
// neither; Finish is their end of input.
type Consumer interface {
	Push(ctx *Ctx, c *types.Chunk) error
	Finish(ctx *Ctx) error
}

// Operator is a Consumer that transforms its input and pushes the result
// to a downstream Consumer fixed at construction. Operators with two
// inputs (joins, set operations) are not Consumers themselves: they expose
// one Consumer per input (see Join.Left/Right).
type Operator = Consumer

// Source produces chunks at the leaves of a plan (scans, VALUES, table
// functions). The driver calls Step until it reports done; each Step
// pushes at most a few chunks downstream, and the last one calls Finish on
// the downstream. Close releases resources and may be called at any time
// (also before done).
type Source interface {
	Step(ctx *Ctx) (done bool, err error)
	Close() error
}

// emitter splits output into chunks of at most MaxChunkRows rows and
// pushes them to out; operators that produce rows one at a time use it.
type emitter struct {
	out Consumer
	ts  []types.T
	cur *types.Chunk
}

func newEmitter(out Consumer, ts []types.T) *emitter { return &emitter{out: out, ts: ts} }

// chunk returns the chunk being filled, starting a new one when needed.
func (e *emitter) chunk() *types.Chunk {
	if e.cur == nil {
		e.cur = types.NewChunk(e.ts, 64)
	}
	return e.cur
}

// rowDone counts one appended row and flushes a full chunk.
func (e *emitter) rowDone(ctx *Ctx) error {
	e.cur.N++
	if e.cur.N >= MaxChunkRows {
		return e.flush(ctx)
	}
	return nil
}

func (e *emitter) flush(ctx *Ctx) error {
	if e.cur == nil || e.cur.N == 0 {
		return nil
	}
	c := e.cur
	e.cur = nil
	return e.out.Push(ctx, c)
}

// pushSplit pushes c downstream in pieces of at most MaxChunkRows rows.
func pushSplit(ctx *Ctx, out Consumer, c *types.Chunk) error {
	if c.N <= MaxChunkRows {
		if c.N == 0 {
			return nil
		}
		return out.Push(ctx, c)
	}
	for start := 0; start < c.N; start += MaxChunkRows {
		end := min(start+MaxChunkRows, c.N)
		idx := make([]int, end-start)
		for i := range idx {
			idx[i] = start + i
		}
		if err := out.Push(ctx, c.Gather(idx)); err != nil {
			return err
		}
	}
	return nil
}

// appendChunk appends every row of src to dst (same column types).
func appendChunk(dst, src *types.Chunk) {
	for i, v := range src.Cols {
		for r := 0; r < src.N; r++ {
			dst.Cols[i].AppendFrom(v, r)
		}
	}
	if src.Ops != nil && dst.Ops == nil {
		dst.Ops = make([]types.Op, dst.N, dst.N+src.N)
		for i := range dst.Ops {
			dst.Ops[i] = types.Insert
		}
	}
	if dst.Ops != nil {
		for r := 0; r < src.N; r++ {
			dst.Ops = append(dst.Ops, src.Op(r))
		}
	}
	dst.N += src.N
}

// evalAll evaluates compiled expressions over c.
func evalAll(ctx *Ctx, evs []expr.Evaluator, c *types.Chunk) ([]*types.Vec, error) {
	out := make([]*types.Vec, len(evs))
	for i, ev := range evs {
		v, err := ev.Eval(ctx.Eval, c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func compileAll(es []expr.Expr) ([]expr.Evaluator, error) {
	out := make([]expr.Evaluator, len(es))
	for i, e := range es {
		ev, err := expr.Compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

// rowKey appends the order-preserving key of row i of vs to buf; rows
// equal under SQL (with NULL equal to NULL) get equal keys.
func rowKey(buf []byte, vs []*types.Vec, i int) []byte {
	for _, v := range vs {
		buf = v.AppendKey(buf, i)
	}
	return buf
}

// anyNull reports whether row i is NULL in any of vs.
func anyNull(vs []*types.Vec, i int) bool {
	for _, v := range vs {
		if v.IsNull(i) {
			return true
		}
	}
	return false
}
