package exec

import (
	"fmt"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
	"github.com/weirdb/weir/state"
)

// Continuous queries (docs/streaming.md) run the bounded operators in
// streaming mode: input chunks carry ops (+insert/−delete), Finish is
// never called, and a batch ends with a Barrier that flows from every leaf
// to the root. Stateful operators emit what the batch changed at the
// barrier and stage their state writes into the batch's commit.

// StateWriter stages writes into the Pebble batch of the batch being
// committed. Keys and values are copied.
type StateWriter interface {
	Set(key, value []byte) error
	Delete(key []byte) error
}

var _ StateWriter = (*state.Batch)(nil)

// Barrier ends batch BatchID. Everything pushed before it belongs to the
// batch.
type Barrier struct {
	BatchID uint64
	W       StateWriter
}

// BarrierConsumer is a Consumer that takes part in continuous queries.
type BarrierConsumer interface {
	Consumer
	// Barrier ends batch b: the operator pushes all output it held back
	// (aggregates emit −old/+new rows for the groups the batch touched),
	// stages its state changes into b.W, then forwards the barrier. An
	// operator with several inputs forwards once it has the barrier from
	// every input. An error fails the batch: nothing of it is committed,
	// and the driver rebuilds the operators from the last commit.
	Barrier(ctx *Ctx, b *Barrier) error
}

// StatefulOperator is implemented by operators that keep state across
// batches. LoadState is called once, before the first Push, with the
// committed state under prefix (q/<query>/op/<op>/); an operator with no
// stored state starts empty.
type StatefulOperator interface {
	StateVersion() uint32
	LoadState(r state.Reader, prefix []byte) error
}

// WatermarkConsumer is a BarrierConsumer that takes event time into
// account (docs/windows.md). Every operator of a continuous query
// implements it: windowed operators close windows, the others forward.
type WatermarkConsumer interface {
	BarrierConsumer
	// Watermark tells the operator that event time has passed wm (µs):
	// windows ending at or before wm close. Called once per batch of a
	// query with a watermark, after the batch's rows and before its
	// Barrier, with wm never below the previous call's; forwarded
	// downstream (an operator with several inputs forwards once per
	// batch, when every input delivered it). Output pushed while handling
	// it (closed windows' final rows) belongs to the batch.
	Watermark(ctx *Ctx, wm int64) error
}

// forwardWatermark passes wm to out, which must take event time into
// account.
func forwardWatermark(ctx *Ctx, out Consumer, wm int64) error {
	wc, ok := out.(WatermarkConsumer)
	if !ok {
		return pgerror.New(pgerror.CodeInternalError, "exec: %T does not take watermarks", out)
	}
	return wc.Watermark(ctx, wm)
}

// Watermark forwards wm: a filter holds no windows.
func (f *Filter) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, f.out, wm) }

// Watermark forwards wm: a projection holds no windows.
func (p *Project) Watermark(ctx *Ctx, wm int64) error { return forwardWatermark(ctx, p.out, wm) }

// forwardBarrier passes b to out, which must take part in continuous
// queries.
func forwardBarrier(ctx *Ctx, out Consumer, b *Barrier) error {
	bc, ok := out.(BarrierConsumer)
	if !ok {
		return pgerror.New(pgerror.CodeInternalError, "exec: %T cannot run in a continuous query", out)
	}
	return bc.Barrier(ctx, b)
}

// Barrier forwards b: a filter holds nothing back.
func (f *Filter) Barrier(ctx *Ctx, b *Barrier) error { return forwardBarrier(ctx, f.out, b) }

// Barrier forwards b: a projection holds nothing back.
func (p *Project) Barrier(ctx *Ctx, b *Barrier) error { return forwardBarrier(ctx, p.out, b) }

// unionAll is the streaming UNION ALL: rows of either input pass through
// with their ops; the barrier is forwarded once both inputs delivered it.
type unionAll struct {
	out     Consumer
	pending int // inputs whose barrier of the current batch is missing
	// wmPending counts the inputs whose watermark of the current batch is
	// missing.
	wmPending int
	inputs    int
}

type unionPort struct{ u *unionAll }

func (p unionPort) Push(ctx *Ctx, c *types.Chunk) error { return p.u.out.Push(ctx, c) }
func (p unionPort) Finish(ctx *Ctx) error {
	return pgerror.New(pgerror.CodeInternalError, "exec: Finish in a continuous query")
}
func (p unionPort) Watermark(ctx *Ctx, wm int64) error {
	u := p.u
	if u.wmPending == 0 {
		u.wmPending = u.inputs
	}
	u.wmPending--
	if u.wmPending > 0 {
		return nil
	}
	return forwardWatermark(ctx, u.out, wm)
}

func (p unionPort) Barrier(ctx *Ctx, b *Barrier) error {
	u := p.u
	if u.pending == 0 {
		u.pending = u.inputs
	}
	u.pending--
	if u.pending > 0 {
		return nil
	}
	return forwardBarrier(ctx, u.out, b)
}

// StreamGraph is the operator graph of a continuous query, built from a
// planner.StreamPlan by BuildStream.
type StreamGraph struct {
	// Inputs holds, per StreamPlan.Inputs entry, the consumers of its
	// leaves: the driver pushes every chunk read from the input to each
	// (a copy to all but the first) and ends each batch with a Barrier on
	// every leaf consumer of every input.
	Inputs [][]BarrierConsumer
	// Stateful lists the stateful operators with their state prefixes;
	// the driver calls LoadState on each before the first batch.
	Stateful []StatefulState
}

// StatefulState is one stateful operator of a graph.
type StatefulState struct {
	Op     StatefulOperator
	OpID   uint32
	Prefix []byte
}

// Push sends c to every leaf of input i.
func (g *StreamGraph) Push(ctx *Ctx, i int, c *types.Chunk) error {
	leaves := g.Inputs[i]
	for j, l := range leaves {
		cc := c
		if j < len(leaves)-1 {
			cc = copyChunk(c)
		}
		if err := l.Push(ctx, cc); err != nil {
			return err
		}
	}
	return nil
}

// Barrier ends a batch: b is delivered to every leaf.
func (g *StreamGraph) Barrier(ctx *Ctx, b *Barrier) error {
	for _, leaves := range g.Inputs {
		for _, l := range leaves {
			if err := l.Barrier(ctx, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// Watermark delivers wm to every leaf (after the batch's rows, before its
// barrier).
func (g *StreamGraph) Watermark(ctx *Ctx, wm int64) error {
	for _, leaves := range g.Inputs {
		for _, l := range leaves {
			if err := forwardWatermark(ctx, l, wm); err != nil {
				return err
			}
		}
	}
	return nil
}

// LoadState loads every stateful operator's committed state from r.
func (g *StreamGraph) LoadState(r state.Reader) error {
	for _, s := range g.Stateful {
		if err := s.Op.LoadState(r, s.Prefix); err != nil {
			return fmt.Errorf("load state of operator %d: %w", s.OpID, err)
		}
	}
	return nil
}

func copyChunk(c *types.Chunk) *types.Chunk {
	idx := make([]int, c.N)
	for i := range idx {
		idx[i] = i
	}
	return c.Gather(idx)
}

// BuildStream builds the operators of a continuous query's plan, pushing
// its output into out (the MV sink). queryID places operator state under
// state.QueryOpPrefix(queryID, opID). The caller loads state with
// StreamGraph.LoadState before the first batch.
func BuildStream(p *planner.StreamPlan, queryID uint64, out BarrierConsumer) (*StreamGraph, error) {
	sb := &streamBuilder{p: p, query: queryID, g: &StreamGraph{Inputs: make([][]BarrierConsumer, len(p.Inputs))}}
	if err := sb.build(p.Root, out); err != nil {
		return nil, err
	}
	return sb.g, nil
}

type streamBuilder struct {
	p     *planner.StreamPlan
	query uint64
	g     *StreamGraph
}

func (b *streamBuilder) build(n planner.Node, out BarrierConsumer) error {
	switch n := n.(type) {
	case *planner.Scan:
		i, ok := b.p.ScanInputs[n]
		if !ok {
			return pgerror.New(pgerror.CodeInternalError, "exec: scan of %s is not an input of the streaming plan", n.Rel.Name())
		}
		b.g.Inputs[i] = append(b.g.Inputs[i], out)
		return nil
	case *planner.Filter:
		op, err := NewFilter(n.Pred, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.Project:
		op, err := NewProject(n.Exprs, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.HashAgg:
		op, err := NewHashAgg(n, out)
		if err != nil {
			return err
		}
		if n.AppendOnly {
			op.SetAppendOnly()
		}
		id := b.p.OpIDs[n]
		prefix := state.QueryOpPrefix(b.query, uint64(id))
		if err := op.SetStreaming(prefix); err != nil {
			return err
		}
		b.g.Stateful = append(b.g.Stateful, StatefulState{Op: op, OpID: id, Prefix: prefix})
		return b.build(n.Input, op)
	case *planner.TopN:
		op, err := NewTopN(n, out)
		if err != nil {
			return err
		}
		id := b.p.OpIDs[n]
		prefix := state.QueryOpPrefix(b.query, uint64(id))
		op.SetStreaming(prefix)
		b.g.Stateful = append(b.g.Stateful, StatefulState{Op: op, OpID: id, Prefix: prefix})
		return b.build(n.Input, op)
	case *planner.WindowAgg:
		return b.windowAgg(n, out)
	case *planner.StreamJoin, *planner.IntervalJoin, *planner.LookupJoin:
		return b.join(n, out) // join_stream.go
	case *planner.WindowTVF:
		op := NewWindowTVF(n, out)
		op.SetStreaming(b.inputOf(n))
		return b.build(n.Input, op)
	case *planner.SetOp:
		if n.Kind != planner.Union || !n.All {
			break
		}
		u := &unionAll{out: out, inputs: 2}
		if err := b.build(n.Left, unionPort{u}); err != nil {
			return err
		}
		return b.build(n.Right, unionPort{u})
	}
	return pgerror.New(pgerror.CodeInternalError, "exec: no streaming operator for plan node %T", n)
}

// inputOf returns the plan input every leaf under n reads, or -1 when the
// leaves read several.
func (b *streamBuilder) inputOf(n planner.Node) int {
	in := -2
	var walk func(n planner.Node)
	walk = func(n planner.Node) {
		if s, ok := n.(*planner.Scan); ok {
			i, ok := b.p.ScanInputs[s]
			switch {
			case !ok:
				in = -1
			case in == -2:
				in = i
			case in != i:
				in = -1
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return max(in, -1)
}
