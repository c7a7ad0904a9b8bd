package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
)

// Values produces constant rows. Each row has one expression per column,
// already cast to the column's type; the expressions read no input (they
// may read parameters, outer rows and subqueries). A Values with no columns
// and one empty row is the input of a SELECT without FROM.
type Values struct {
	Cols []Column
	Rows [][]expr.Expr
}

func (n *Values) Schema() []Column { return n.Cols }
func (n *Values) Children() []Node { return nil }
func (n *Values) String() string {
	rows := make([]string, len(n.Rows))
	for i, r := range n.Rows {
		rows[i] = "(" + exprList(r) + ")"
	}
	s := strings.Join(rows, ", ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return fmt.Sprintf("Values %d rows [%s] %s", len(n.Rows), strings.Join(ColumnNames(n.Cols), ", "), s)
}
