package exec

import (
	"fmt"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
)

// builder turns a physical plan into operators, with one type switch.
// Operators are built top-down: each node's operator is created with its
// downstream, then its inputs are built with the operator as their
// downstream. Sources are collected in the order the driver must run them:
// the build (right) side of a join before its probe (left) side, so probe
// chunks never wait.
//
// A bounded builder (every plan exec.Run executes today) may tell operators
// that their input holds only inserts, so they keep less state.
type builder struct {
	bounded bool
	sources []Source
	limits  map[*planner.Limit]*Limit
}

func newBuilder(bounded bool) *builder {
	return &builder{bounded: bounded, limits: map[*planner.Limit]*Limit{}}
}

func (b *builder) build(n planner.Node, out Consumer) error {
	switch n := n.(type) {
	case *planner.Scan:
		b.sources = append(b.sources, NewScan(n.Rel, out))
	case *planner.ProcTimeScan: // the current rows, as a Scan reads them
		b.sources = append(b.sources, NewScan(n.Rel, out))
	case *planner.Values:
		b.sources = append(b.sources, NewValues(n, out))
	case *planner.GenerateSeries:
		b.sources = append(b.sources, NewGenerateSeries(n, out))
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
		if b.bounded {
			op.SetAppendOnly()
		}
		return b.build(n.Input, op)
	case *planner.Sort:
		op, err := NewSort(n, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.Limit:
		op := NewLimit(n, out)
		b.limits[n] = op
		return b.build(n.Input, op)
	case *planner.TopN:
		op, err := NewTopN(n, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.Distinct:
		return b.build(n.Input, NewDistinct(n, out))
	case *planner.Window:
		op, err := NewWindow(n, out)
		if err != nil {
			return err
		}
		return b.build(n.Input, op)
	case *planner.CheckNotNull:
		return b.build(n.Input, NewCheckNotNull(n, out))
	case *planner.WindowTVF:
		return b.build(n.Input, NewWindowTVF(n, out))
	case *planner.WindowAgg:
		return b.buildWindowAgg(n, out)
	case *planner.HashJoin:
		op, err := NewHashJoin(n, out)
		if err != nil {
			return err
		}
		if err := b.build(n.Right, op.Right()); err != nil {
			return err
		}
		return b.build(n.Left, op.Left())
	case *planner.NestedLoopJoin:
		op, err := NewNestedLoopJoin(n, out)
		if err != nil {
			return err
		}
		if err := b.build(n.Right, op.Right()); err != nil {
			return err
		}
		return b.build(n.Left, op.Left())
	case *planner.SetOp:
		op := NewSetOp(n, out)
		if err := b.build(n.Left, op.Left()); err != nil {
			return err
		}
		return b.build(n.Right, op.Right())
	case *planner.Join:
		return pgerror.New(pgerror.CodeInternalError, "exec: logical Join reached the executor; run planner.Optimize first")
	default:
		return pgerror.New(pgerror.CodeInternalError, "%s", fmt.Sprintf("exec: no operator for plan node %T", n))
	}
	return nil
}
