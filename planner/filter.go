package planner

import (
	"github.com/weirdb/weir/sql/expr"
)

// Filter keeps the input rows for which Pred is TRUE (not FALSE or NULL).
type Filter struct {
	Input Node
	Pred  expr.Expr
}

func (n *Filter) Schema() []Column { return n.Input.Schema() }
func (n *Filter) Children() []Node { return []Node{n.Input} }
func (n *Filter) String() string   { return "Filter " + n.Pred.String() }
