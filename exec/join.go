package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// join is the execution shared by HashJoin and NestedLoopJoin. The right
// input is the build side: it is kept whole (rows and ops) until the end.
// The left input is probed against it chunk by chunk; left chunks that
// arrive before the right input has finished are held back until it has.
// The output is finished after both inputs are.
//
// Output row ops are the product of the paired rows' ops (a Delete joined
// with an Insert retracts the joined row), which is exact for inner joins;
// outer, semi and anti joins over changing inputs need the streaming join
// operator and are exact only for insert-only inputs.
type join struct {
	kind     planner.JoinKind
	out      Consumer
	outTypes []types.T
	lTypes   []types.T
	rTypes   []types.T

	// candidates appends to dst the build rows that may match left row i
	// of a probe chunk (whose key vectors it computed in prepare).
	prepare    func(ctx *Ctx, c *types.Chunk) error
	candidates func(dst []int, i int) []int
	residual   expr.Evaluator

	build        *types.Chunk
	onBuild      func(ctx *Ctx, c *types.Chunk, base int) error
	rightMatched []bool
	rightDone    bool
	leftDone     bool
	pending      []*types.Chunk
}

func newJoin(kind planner.JoinKind, l, r planner.Node, outCols []planner.Column, residual expr.Expr, out Consumer) (*join, error) {
	j := &join{kind: kind, out: out, outTypes: planner.Types(outCols),
		lTypes: planner.Types(l.Schema()), rTypes: planner.Types(r.Schema())}
	j.build = types.NewChunk(j.rTypes, 64)
	if residual != nil {
		ev, err := expr.Compile(residual)
		if err != nil {
			return nil, err
		}
		j.residual = ev
	}
	return j, nil
}

// Left is the Consumer for the probe input.
func (j *join) Left() Consumer { return joinPort{j, false} }

// Right is the Consumer for the build input.
func (j *join) Right() Consumer { return joinPort{j, true} }

type joinPort struct {
	j     *join
	right bool
}

func (p joinPort) Push(ctx *Ctx, c *types.Chunk) error {
	j := p.j
	if p.right {
		base := j.build.N
		appendChunk(j.build, c)
		j.rightMatched = append(j.rightMatched, make([]bool, c.N)...)
		if j.onBuild != nil {
			return j.onBuild(ctx, c, base)
		}
		return nil
	}
	if !j.rightDone {
		j.pending = append(j.pending, c)
		return nil
	}
	return j.probe(ctx, c)
}

func (p joinPort) Finish(ctx *Ctx) error {
	j := p.j
	if p.right {
		j.rightDone = true
		for _, c := range j.pending {
			if err := j.probe(ctx, c); err != nil {
				return err
			}
		}
		j.pending = nil
	} else {
		j.leftDone = true
	}
	if !j.leftDone || !j.rightDone {
		return nil
	}
	if j.kind == planner.RightJoin || j.kind == planner.FullJoin {
		var idx []int
		for r, m := range j.rightMatched {
			if !m {
				idx = append(idx, r)
			}
		}
		if len(idx) > 0 {
			rc := j.build.Gather(idx)
			c := &types.Chunk{N: len(idx), Ops: rc.Ops}
			for _, t := range j.lTypes {
				c.Cols = append(c.Cols, types.ConstVec(t, types.NullDatum, len(idx)))
			}
			c.Cols = append(c.Cols, rc.Cols...)
			if err := pushSplit(ctx, j.out, c); err != nil {
				return err
			}
		}
	}
	return j.out.Finish(ctx)
}

// probe joins one left chunk with the build side.
func (j *join) probe(ctx *Ctx, c *types.Chunk) error {
	if err := j.prepare(ctx, c); err != nil {
		return err
	}
	matched := make([]bool, c.N)
	var li, ri, cand []int
	flush := func() error {
		if len(li) == 0 {
			return nil
		}
		lc, rc := c.Gather(li), j.build.Gather(ri)
		pairs := &types.Chunk{Cols: append(append([]*types.Vec(nil), lc.Cols...), rc.Cols...), N: len(li)}
		keep := make([]int, 0, len(li))
		if j.residual != nil {
			sel, err := expr.Filter(ctx.Eval, j.residual, pairs)
			if err != nil {
				return err
			}
			keep = sel
		} else {
			for k := range li {
				keep = append(keep, k)
			}
		}
		for _, k := range keep {
			matched[li[k]] = true
			j.rightMatched[ri[k]] = true
		}
		if j.kind != planner.SemiJoin && j.kind != planner.AntiJoin && len(keep) > 0 {
			if lc.Ops != nil || rc.Ops != nil {
				pairs.Ops = make([]types.Op, pairs.N)
				for k := range pairs.Ops {
					pairs.Ops[k] = lc.Op(k) * rc.Op(k)
				}
			}
			if len(keep) < pairs.N {
				pairs = pairs.Gather(keep)
			}
			if err := j.out.Push(ctx, pairs); err != nil {
				return err
			}
		}
		li, ri = li[:0], ri[:0]
		return nil
	}
	for i := 0; i < c.N; i++ {
		cand = j.candidates(cand[:0], i)
		for _, r := range cand {
			li = append(li, i)
			ri = append(ri, r)
			if len(li) >= MaxChunkRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var idx []int
	switch j.kind {
	case planner.SemiJoin:
		for i, m := range matched {
			if m {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			return j.out.Push(ctx, c.Gather(idx))
		}
	case planner.AntiJoin:
		for i, m := range matched {
			if !m {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			return j.out.Push(ctx, c.Gather(idx))
		}
	case planner.LeftJoin, planner.FullJoin:
		for i, m := range matched {
			if !m {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 {
			lc := c.Gather(idx)
			for _, t := range j.rTypes {
				lc.Cols = append(lc.Cols, types.ConstVec(t, types.NullDatum, len(idx)))
			}
			return j.out.Push(ctx, lc)
		}
	}
	return nil
}
