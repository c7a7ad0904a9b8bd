package planner

import (
	"github.com/weirdb/weir/sql/expr"
)

// GenerateSeries is the table function generate_series(start, stop
// [, step]) over int4, int8, numeric or timestamp[tz] (with an interval
// step). Args read no input. It yields one column described by Cols[0];
// a zero step is an error (22023), and a step that moves away from stop
// yields no rows.
type GenerateSeries struct {
	Args []expr.Expr
	Cols []Column
}

func (n *GenerateSeries) Schema() []Column { return n.Cols }
func (n *GenerateSeries) Children() []Node { return nil }
func (n *GenerateSeries) String() string   { return "GenerateSeries(" + exprList(n.Args) + ")" }
