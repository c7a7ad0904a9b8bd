package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
)

// HashJoin joins on equality of LeftKeys[i] (over the left row) and
// RightKeys[i] (over the right row), pairwise of the same type. A NULL key
// never matches. Residual, when non-nil, is the rest of the join condition
// over the concatenated row and must also be TRUE for a match (for outer
// joins it decides matching, not filtering). The executor builds a hash
// table from the right input and probes it with the left.
type HashJoin struct {
	Kind        JoinKind
	Left, Right Node
	LeftKeys    []expr.Expr
	RightKeys   []expr.Expr
	Residual    expr.Expr
}

func (n *HashJoin) Schema() []Column { return joinSchema(n.Kind, n.Left, n.Right) }
func (n *HashJoin) Children() []Node { return []Node{n.Left, n.Right} }
func (n *HashJoin) String() string {
	s := fmt.Sprintf("HashJoin %s left=[%s] right=[%s]", n.Kind, exprList(n.LeftKeys), exprList(n.RightKeys))
	if n.Residual != nil {
		s += " residual " + n.Residual.String()
	}
	return s
}
