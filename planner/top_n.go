package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// TopN keeps, for each group of rows equal on PartitionBy, the rows at
// positions Offset+1 .. Offset+N of the group in Order. It is the
// continuous form of `ORDER BY .. LIMIT N [OFFSET M]` (no PartitionBy: one
// group) and of `ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..)` filtered
// to a range of row numbers.
//
// Rows equal on every Order key are ordered by the whole row (its key
// encoding), so the result is deterministic where PostgreSQL leaves the
// choice among peers open: a continuous query must give the same rows
// whatever the batch boundaries were.
//
// With RowNumber the output is the input row followed by an int8 column
// holding the row's 1-based position in its group (counting the skipped
// Offset rows, as row_number() does); Cols describes the output. Under
// retraction a row whose position changes is retracted with its old
// number and inserted with its new one.
type TopN struct {
	Input       Node
	PartitionBy []expr.Expr
	Order       []SortKey
	Offset      int64
	N           int64 // < 0: no limit (only Offset applies)
	RowNumber   bool
	Cols        []Column
}

func (n *TopN) Schema() []Column { return n.Cols }
func (n *TopN) Children() []Node { return []Node{n.Input} }
func (n *TopN) String() string {
	var b strings.Builder
	b.WriteString("TopN")
	if len(n.PartitionBy) > 0 {
		fmt.Fprintf(&b, " partition=[%s]", exprList(n.PartitionBy))
	}
	fmt.Fprintf(&b, " order=[%s]", sortKeys(n.Order))
	if n.N >= 0 {
		fmt.Fprintf(&b, " limit=%d", n.N)
	}
	if n.Offset > 0 {
		fmt.Fprintf(&b, " offset=%d", n.Offset)
	}
	if n.RowNumber {
		fmt.Fprintf(&b, " row_number=%s", n.Cols[len(n.Cols)-1].Name)
	}
	return b.String()
}

// newTopN builds a TopN with its output columns.
func newTopN(in Node, partition []expr.Expr, order []SortKey, offset, limit int64, rowNumber string) *TopN {
	cols := append([]Column(nil), in.Schema()...)
	t := &TopN{Input: in, PartitionBy: partition, Order: order, Offset: offset, N: limit}
	if rowNumber != "" {
		t.RowNumber = true
		cols = append(cols, Column{Name: rowNumber, T: types.TInt8, NotNull: true})
	}
	t.Cols = cols
	return t
}
