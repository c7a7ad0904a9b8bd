package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
)

// NestedLoopJoin evaluates On (nil: always true) for every pair of left
// and right rows. It serves cross joins and joins without equality
// conditions; the executor keeps the whole right input in memory.
type NestedLoopJoin struct {
	Kind        JoinKind
	Left, Right Node
	On          expr.Expr
}

func (n *NestedLoopJoin) Schema() []Column { return joinSchema(n.Kind, n.Left, n.Right) }
func (n *NestedLoopJoin) Children() []Node { return []Node{n.Left, n.Right} }
func (n *NestedLoopJoin) String() string {
	if n.On == nil {
		return fmt.Sprintf("NestedLoopJoin %s", n.Kind)
	}
	return fmt.Sprintf("NestedLoopJoin %s on %s", n.Kind, n.On)
}
