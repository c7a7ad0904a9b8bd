package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/state"
)

// IntervalJoin is the continuous interval join (planner.IntervalJoin,
// docs/joins.md): an inner or left equi-join of two insert-only inputs
// whose right row's event time must lie in [left.ts + Lower, left.ts +
// Upper]. Each side keeps its rows by (join key, event time); on a
// watermark wm, a left row at t is dropped once t + Upper < wm and a right
// row at t once t - Lower < wm, since every later row has an event time of
// at least wm (rows below the watermark on arrival are late: dropped and
// reported through ctx.ReportLate). A left join emits an unmatched left
// row with NULLs when it is dropped, so the output is insert-only. A row
// with a NULL key or time matches nothing (a left row is emitted with
// NULLs at once).
//
// State: as StreamJoin's, keyed by side + AppendKey(join key) +
// AppendKey(event time) + AppendKey(row), with IntervalJoinStateVersion.
type IntervalJoin struct {
	j *symJoin
}

var _ StatefulOperator = (*IntervalJoin)(nil)

// NewIntervalJoin builds the operator of n with its state under prefix.
// leftInput and rightInput are the plan inputs the sides' rows come from
// (LateRow.Input; -1 when unknown).
func NewIntervalJoin(n *planner.IntervalJoin, prefix []byte, leftInput, rightInput int, out Consumer) (*IntervalJoin, error) {
	if n.Kind != planner.InnerJoin && n.Kind != planner.LeftJoin {
		return nil, pgerror.New(pgerror.CodeInternalError, "exec: a %s interval join", n.Kind)
	}
	j, err := newSymJoin(n.Kind, n.Left, n.Right, n.LeftKeys, n.RightKeys, n.Residual, prefix, out)
	if err != nil {
		return nil, err
	}
	j.version = planner.IntervalJoinStateVersion
	j.interval, j.lower, j.upper, j.deferPad = true, n.Lower, n.Upper, true
	j.sides[0].timeCol, j.sides[1].timeCol = n.LeftTime, n.RightTime
	j.sides[0].input, j.sides[1].input = leftInput, rightInput
	for _, s := range j.sides {
		s.byTime = map[int64][]string{}
	}
	return &IntervalJoin{j: j}, nil
}

// Left is the consumer of the left input.
func (s *IntervalJoin) Left() WatermarkConsumer { return joinStreamPort{s.j, 0} }

// Right is the consumer of the right input.
func (s *IntervalJoin) Right() WatermarkConsumer { return joinStreamPort{s.j, 1} }

// StateVersion implements StatefulOperator.
func (s *IntervalJoin) StateVersion() uint32 { return s.j.version }

// LoadState implements StatefulOperator.
func (s *IntervalJoin) LoadState(r state.Reader, prefix []byte) error {
	return s.j.loadState(r, prefix)
}
