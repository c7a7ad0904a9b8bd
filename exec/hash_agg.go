package exec

import (
	"slices"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// HashAgg groups rows by key and folds them into one expr.AggState per
// aggregate (groups are numbered densely in order of first appearance).
// Rows are folded with their ops, so a Delete retracts its Insert. In a
// bounded plan the result is emitted at Finish, one row per group in order
// of first appearance; a grouping without keys emits its single group even
// for empty input. Groups whose every row has been retracted are not
// emitted.
//
// An ordered aggregate (AggCall.OrderBy) is not folded as rows arrive: its
// filtered input rows (arguments, order keys, group and op) are buffered
// and folded at Finish in (group, keys, arrival) order, so retractions
// still cancel their inserts (the aggregate states retract by value). The
// buffer holds every input row of the call until Finish.
type HashAgg struct {
	n       *planner.HashAgg
	keys    []expr.Evaluator
	args    [][]expr.Evaluator
	filters []expr.Evaluator
	states  []expr.AggState
	groups  map[string]int32
	keyVals []*types.Vec // group key values, one row per group
	rows    []int64      // live rows per group (inserts minus deletes)
	out     Consumer
	keyBuf  []byte
	ordered []*orderedInput // per aggregate; nil when it has no ORDER BY
	// appendOnly is set by SetAppendOnly: every input row is an insert.
	appendOnly bool
	// stream is set by SetStreaming: the aggregate runs in a continuous
	// query and emits changes at barriers instead of results at Finish.
	stream *aggStream
}

// orderedInput buffers the input rows of an ordered aggregate.
type orderedInput struct {
	keys   []planner.SortKey
	keyEvs []expr.Evaluator
	args   []*types.Vec
	keyVal []*types.Vec
	groups []int32
	ops    []types.Op
}

// NewHashAgg compiles n's expressions and creates the aggregate states.
func NewHashAgg(n *planner.HashAgg, out Consumer) (*HashAgg, error) {
	a := &HashAgg{n: n, out: out, groups: map[string]int32{}}
	var err error
	if a.keys, err = compileAll(n.GroupBy); err != nil {
		return nil, err
	}
	for _, g := range n.GroupBy {
		a.keyVals = append(a.keyVals, types.NewVec(g.Type(), 16))
	}
	for _, call := range n.Aggs {
		evs, err := compileAll(call.Args)
		if err != nil {
			return nil, err
		}
		a.args = append(a.args, evs)
		var f expr.Evaluator
		if call.Filter != nil {
			if f, err = expr.Compile(call.Filter); err != nil {
				return nil, err
			}
		}
		a.filters = append(a.filters, f)
		argTypes := make([]types.T, len(call.Args))
		for i, e := range call.Args {
			argTypes[i] = e.Type()
		}
		st := call.Fn.New(argTypes, call.Fn.Ret)
		if call.Distinct {
			st = expr.NewDistinctAggState(st, argTypes)
		}
		a.states = append(a.states, st)
		var oi *orderedInput
		if len(call.OrderBy) > 0 {
			oi = &orderedInput{keys: call.OrderBy}
			for _, k := range call.OrderBy {
				ev, err := expr.Compile(k.E)
				if err != nil {
					return nil, err
				}
				oi.keyEvs = append(oi.keyEvs, ev)
				oi.keyVal = append(oi.keyVal, types.NewVec(k.E.Type(), 16))
			}
			for _, t := range argTypes {
				oi.args = append(oi.args, types.NewVec(t, 16))
			}
		}
		a.ordered = append(a.ordered, oi)
	}
	if len(n.GroupBy) == 0 {
		a.newGroup(nil, 0)
	}
	return a, nil
}

// SetAppendOnly promises that no Delete row will reach the aggregate, as in
// a bounded plan (whose operators see only inserts). Aggregate states that
// implement expr.AppendOnlyHint then keep less state: min and max keep
// only the current extreme instead of a counted multiset of every distinct
// value, which for a bounded GROUP BY is the difference between O(groups)
// and O(rows) memory. A Delete pushed afterwards fails the execution with
// an internal error rather than producing a wrong result. Call it before
// the first Push.
func (a *HashAgg) SetAppendOnly() {
	a.appendOnly = true
	for _, st := range a.states {
		if h, ok := st.(expr.AppendOnlyHint); ok {
			h.SetAppendOnly()
		}
	}
}

func (a *HashAgg) newGroup(kv []*types.Vec, row int) int32 {
	g := int32(len(a.rows))
	for i, v := range a.keyVals {
		v.AppendFrom(kv[i], row)
	}
	a.rows = append(a.rows, 0)
	for _, st := range a.states {
		st.Grow(len(a.rows))
	}
	if a.stream != nil {
		a.stream.isTouched = append(a.stream.isTouched, false)
	}
	return g
}

func (a *HashAgg) Push(ctx *Ctx, c *types.Chunk) error {
	if a.appendOnly && c.Ops != nil && slices.Contains(c.Ops, types.Delete) {
		return pgerror.New(pgerror.CodeInternalError, "hash aggregate: retraction fed to an append-only aggregate")
	}
	kv, err := evalAll(ctx, a.keys, c)
	if err != nil {
		return err
	}
	groups := make([]int32, c.N)
	for i := 0; i < c.N; i++ {
		if len(a.keys) == 0 {
			groups[i] = 0
		} else {
			a.keyBuf = rowKey(a.keyBuf[:0], kv, i)
			g, ok := a.groups[string(a.keyBuf)]
			if !ok {
				g = a.newGroup(kv, i)
				a.groups[string(a.keyBuf)] = g
			}
			groups[i] = g
		}
		if a.stream != nil && !a.stream.isTouched[groups[i]] {
			a.touch(groups[i])
		}
		a.rows[groups[i]] += int64(c.Op(i))
	}
	for j, st := range a.states {
		args, err := evalAll(ctx, a.args[j], c)
		if err != nil {
			return err
		}
		var sel []int
		if a.filters[j] != nil {
			if sel, err = expr.Filter(ctx.Eval, a.filters[j], c); err != nil {
				return err
			}
			if len(sel) == 0 {
				continue
			}
		}
		if oi := a.ordered[j]; oi != nil {
			if err := oi.buffer(ctx, c, groups, args, sel); err != nil {
				return err
			}
			continue
		}
		if err := st.Update(ctx.Eval, groups, args, c.Ops, sel); err != nil {
			return err
		}
	}
	return nil
}

// Finish emits one row per live group and finishes the downstream.
func (a *HashAgg) Finish(ctx *Ctx) error {
	for j, oi := range a.ordered {
		if oi == nil {
			continue
		}
		if err := oi.fold(ctx, a.states[j]); err != nil {
			return err
		}
	}
	em := newEmitter(a.out, planner.Types(a.n.Cols))
	for g := range a.rows {
		if a.rows[g] <= 0 && len(a.keys) > 0 {
			continue
		}
		c := em.chunk()
		for i, v := range a.keyVals {
			c.Cols[i].AppendFrom(v, g)
		}
		for j, st := range a.states {
			st.Result(int32(g), c.Cols[len(a.keyVals)+j])
		}
		if err := em.rowDone(ctx); err != nil {
			return err
		}
	}
	if err := em.flush(ctx); err != nil {
		return err
	}
	return a.out.Finish(ctx)
}

// buffer keeps rows of c (those in sel, or all when sel is nil).
func (oi *orderedInput) buffer(ctx *Ctx, c *types.Chunk, groups []int32, args []*types.Vec, sel []int) error {
	kv, err := evalAll(ctx, oi.keyEvs, c)
	if err != nil {
		return err
	}
	add := func(i int) {
		for k, v := range args {
			oi.args[k].AppendFrom(v, i)
		}
		for k, v := range kv {
			oi.keyVal[k].AppendFrom(v, i)
		}
		oi.groups = append(oi.groups, groups[i])
		oi.ops = append(oi.ops, c.Op(i))
	}
	if sel != nil {
		for _, i := range sel {
			add(i)
		}
		return nil
	}
	for i := 0; i < c.N; i++ {
		add(i)
	}
	return nil
}

// fold feeds the buffered rows to st in (group, order keys, arrival)
// order and releases the buffer.
func (oi *orderedInput) fold(ctx *Ctx, st expr.AggState) error {
	n := len(oi.groups)
	if n == 0 {
		return nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	stableSort(idx, func(x, y int) int {
		if gx, gy := oi.groups[x], oi.groups[y]; gx != gy {
			if gx < gy {
				return -1
			}
			return 1
		}
		return compareRows(oi.keys, oi.keyVal, x, y)
	})
	args := make([]*types.Vec, len(oi.args))
	for k, v := range oi.args {
		args[k] = v.Gather(idx)
	}
	groups := make([]int32, n)
	ops := make([]types.Op, n)
	for j, i := range idx {
		groups[j], ops[j] = oi.groups[i], oi.ops[i]
	}
	oi.args, oi.keyVal, oi.groups, oi.ops = nil, nil, nil, nil
	return st.Update(ctx.Eval, groups, args, ops, nil)
}
