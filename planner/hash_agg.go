package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
)

// AggCall is one aggregate of a HashAgg: Fn over Args, evaluated per input
// row; Distinct folds each distinct argument tuple once per group; Filter,
// when non-nil, restricts the rows the aggregate sees (FILTER (WHERE ...)).
type AggCall struct {
	Fn       *expr.AggFunc
	Args     []expr.Expr
	Distinct bool
	Filter   expr.Expr
}

func (a AggCall) String() string {
	d := ""
	if a.Distinct {
		d = "DISTINCT "
	}
	args := exprList(a.Args)
	if len(a.Args) == 0 && a.Fn.Name == "count" {
		args = "*"
	}
	s := fmt.Sprintf("%s(%s%s)", a.Fn.Name, d, args)
	if a.Filter != nil {
		s += " FILTER (WHERE " + a.Filter.String() + ")"
	}
	return s
}

// HashAgg groups its input by the GroupBy expressions and computes Aggs per
// group. The output row is the group key values followed by the aggregate
// results, described by Cols. With no GroupBy there is exactly one group,
// which exists (and yields one row) even when the input is empty, as SQL
// requires of `SELECT count(*) FROM empty`. NULL group keys form one group.
type HashAgg struct {
	Input   Node
	GroupBy []expr.Expr
	Aggs    []AggCall
	Cols    []Column
}

func (n *HashAgg) Schema() []Column { return n.Cols }
func (n *HashAgg) Children() []Node { return []Node{n.Input} }
func (n *HashAgg) String() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	return fmt.Sprintf("HashAgg group=[%s] aggs=[%s]", exprList(n.GroupBy), strings.Join(aggs, ", "))
}
