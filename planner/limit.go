package planner

import (
	"github.com/weirdb/weir/sql/expr"
)

// Limit skips Offset rows and then passes at most Count rows. Either may be
// nil (no limit, no offset). Both are int8 expressions that read no input
// (constants or parameters), evaluated once per execution; a NULL Count
// means no limit and a NULL Offset means 0, as in PostgreSQL, and a
// negative value is an error.
type Limit struct {
	Input  Node
	Count  expr.Expr
	Offset expr.Expr
}

func (n *Limit) Schema() []Column { return n.Input.Schema() }
func (n *Limit) Children() []Node { return []Node{n.Input} }
func (n *Limit) String() string {
	s := "Limit"
	if n.Count != nil {
		s += " " + n.Count.String()
	}
	if n.Offset != nil {
		s += " offset " + n.Offset.String()
	}
	return s
}
