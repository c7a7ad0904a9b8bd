package planner

import (
	"strings"

	"github.com/weirdb/weir/sql/expr"
)

// Project computes one output column per expression over each input row.
// Cols[i] describes Exprs[i] (name and type).
type Project struct {
	Input Node
	Exprs []expr.Expr
	Cols  []Column
}

func (n *Project) Schema() []Column { return n.Cols }
func (n *Project) Children() []Node { return []Node{n.Input} }
func (n *Project) String() string {
	s := make([]string, len(n.Exprs))
	for i, e := range n.Exprs {
		s[i] = e.String()
		if c, ok := e.(*expr.ColRef); !ok || c.Name != n.Cols[i].Name {
			s[i] += " AS " + n.Cols[i].Name
		}
	}
	return "Project " + strings.Join(s, ", ")
}
