package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// FrameBound is one end of a window frame.
type FrameBound uint8

const (
	UnboundedPreceding FrameBound = iota
	OffsetPreceding
	CurrentRow
	OffsetFollowing
	UnboundedFollowing
)

// Frame is a window frame. Rows false means RANGE mode, where the current
// row's frame end includes all its peers (rows equal on ORDER BY); only
// UNBOUNDED PRECEDING / CURRENT ROW / UNBOUNDED FOLLOWING bounds are
// supported in RANGE mode. The default frame (no frame clause) is RANGE
// BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
type Frame struct {
	Rows                   bool
	Start, End             FrameBound
	StartOffset, EndOffset int64
}

// DefaultFrame is PostgreSQL's frame when OVER has no frame clause.
var DefaultFrame = Frame{Start: UnboundedPreceding, End: CurrentRow}

func (f Frame) String() string {
	b := func(k FrameBound, off int64) string {
		switch k {
		case UnboundedPreceding:
			return "UNBOUNDED PRECEDING"
		case OffsetPreceding:
			return fmt.Sprintf("%d PRECEDING", off)
		case CurrentRow:
			return "CURRENT ROW"
		case OffsetFollowing:
			return fmt.Sprintf("%d FOLLOWING", off)
		}
		return "UNBOUNDED FOLLOWING"
	}
	mode := "RANGE"
	if f.Rows {
		mode = "ROWS"
	}
	return fmt.Sprintf("%s BETWEEN %s AND %s", mode, b(f.Start, f.StartOffset), b(f.End, f.EndOffset))
}

// WindowFuncKind says how a WindowFunc computes its value.
type WindowFuncKind uint8

const (
	// WindowAggregate is an aggregate over the frame.
	WindowAggregate WindowFuncKind = iota
	WindowRowNumber
	WindowRank
	WindowDenseRank
)

// WindowFunc is one window function call: Agg (for WindowAggregate) over Args,
// evaluated per partition in OrderBy order over Frame.
type WindowFunc struct {
	Kind        WindowFuncKind
	Name        string
	Agg         *expr.AggFunc
	Args        []expr.Expr
	PartitionBy []expr.Expr
	OrderBy     []SortKey
	Frame       Frame
	T           types.T
}

func (f WindowFunc) String() string {
	var over []string
	if len(f.PartitionBy) > 0 {
		over = append(over, "PARTITION BY "+exprList(f.PartitionBy))
	}
	if len(f.OrderBy) > 0 {
		over = append(over, "ORDER BY "+sortKeys(f.OrderBy))
	}
	if f.Frame != DefaultFrame {
		over = append(over, f.Frame.String())
	}
	return fmt.Sprintf("%s(%s) OVER (%s)", f.Name, exprList(f.Args), strings.Join(over, " "))
}

// Window passes its input rows through with one extra column per Funcs
// entry (described by Cols, which holds the input columns first). The
// output row order is unspecified; a query's ORDER BY sorts above it.
type Window struct {
	Input Node
	Funcs []WindowFunc
	Cols  []Column
}

func (n *Window) Schema() []Column { return n.Cols }
func (n *Window) Children() []Node { return []Node{n.Input} }
func (n *Window) String() string {
	s := make([]string, len(n.Funcs))
	for i, f := range n.Funcs {
		s[i] = f.String()
	}
	return "Window " + strings.Join(s, ", ")
}
