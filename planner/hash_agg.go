package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
)

// AggCall is one aggregate of a HashAgg: Fn over Args, evaluated per input
// row; Distinct folds each distinct argument tuple once per group; Filter,
// when non-nil, restricts the rows the aggregate sees (FILTER (WHERE ...)).
//
// OrderBy, when non-empty, is the aggregate's own ORDER BY
// (string_agg(x, ',' ORDER BY y)): the aggregate sees its group's rows in
// that order, ties in arrival order. Its expressions read the input row
// like Args. An ordered aggregate cannot fold rows as they arrive; the
// executor keeps every (filtered) input row of the group and folds them in
// order when the result is produced, so its memory is proportional to its
// input rather than to its groups.
type AggCall struct {
	Fn       *expr.AggFunc
	Args     []expr.Expr
	Distinct bool
	Filter   expr.Expr
	OrderBy  []SortKey
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
	if len(a.OrderBy) > 0 {
		keys := make([]string, len(a.OrderBy))
		for i, k := range a.OrderBy {
			keys[i] = k.String()
		}
		args += " ORDER BY " + strings.Join(keys, ", ")
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
//
// AppendOnly (set by Streamify, shown in EXPLAIN as append_only) promises
// that the input of a continuous query's aggregate holds inserts only, so
// min and max keep only their extreme: O(1) state per group.
type HashAgg struct {
	Input      Node
	GroupBy    []expr.Expr
	Aggs       []AggCall
	Cols       []Column
	AppendOnly bool
}

func (n *HashAgg) Schema() []Column { return n.Cols }
func (n *HashAgg) Children() []Node { return []Node{n.Input} }
func (n *HashAgg) String() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	s := fmt.Sprintf("HashAgg group=[%s] aggs=[%s]", exprList(n.GroupBy), strings.Join(aggs, ", "))
	if n.AppendOnly {
		s += " append_only"
	}
	return s
}
