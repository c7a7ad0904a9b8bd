package exec

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/types"
)

// NestedLoopJoin pairs every left row with every right row and keeps the
// pairs for which the condition is TRUE (all pairs when there is none).
// It keeps the whole right input in memory; see join for the protocol.
type NestedLoopJoin struct {
	*join
}

// NewNestedLoopJoin compiles n's condition.
func NewNestedLoopJoin(n *planner.NestedLoopJoin, out Consumer) (*NestedLoopJoin, error) {
	j, err := newJoin(n.Kind, n.Left, n.Right, n.Schema(), n.On, out)
	if err != nil {
		return nil, err
	}
	j.prepare = func(*Ctx, *types.Chunk) error { return nil }
	j.candidates = func(dst []int, _ int) []int {
		for r := 0; r < j.build.N; r++ {
			dst = append(dst, r)
		}
		return dst
	}
	return &NestedLoopJoin{join: j}, nil
}
