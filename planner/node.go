package planner

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// Node is one operator of a plan. Nodes are immutable once built: rules
// return new nodes instead of changing old ones, so a plan may be shared
// (by a prepared statement executed many times) without copying.
//
// Expressions held by a node read the node's input row: for a single-input
// node, ColRef.Idx indexes the input's Schema; for a join, the left
// schema's columns come first, then the right's.
type Node interface {
	// Schema is the node's output row shape.
	Schema() []Column
	// Children are the inputs, in order (left before right).
	Children() []Node
	// String renders the node alone (no children) for EXPLAIN.
	String() string
}

// Explain prints n and its inputs as an indented tree, one node per line,
// children indented by two spaces below their parent.
func Explain(n Node) string {
	var b strings.Builder
	explain(&b, n, 0)
	return b.String()
}

func explain(b *strings.Builder, n Node, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(n.String())
	b.WriteByte('\n')
	for _, c := range n.Children() {
		explain(b, c, depth+1)
	}
	// Subquery plans hang off expressions; print them under the node that
	// evaluates them so EXPLAIN shows the whole plan.
	for _, sq := range nodeSubqueries(n) {
		if p, ok := sq.Plan.(Node); ok {
			fmt.Fprintf(b, "%sSubquery %d (%s)\n", strings.Repeat("  ", depth+1), sq.ID, subqueryKindName(sq))
			explain(b, p, depth+2)
		}
	}
}

func subqueryKindName(sq *expr.Subquery) string {
	s := ""
	switch sq.Kind {
	case expr.SubqueryScalar:
		s = "scalar"
	case expr.SubqueryExists:
		s = "exists"
	case expr.SubqueryIn:
		s = "in"
	}
	if sq.Correlated {
		s += ", correlated"
	}
	return s
}

// Types returns the column types of a schema.
func Types(cols []Column) []types.T {
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		ts[i] = c.T
	}
	return ts
}

// ColumnNames returns the names of a schema's columns.
func ColumnNames(cols []Column) []string {
	ns := make([]string, len(cols))
	for i, c := range cols {
		ns[i] = c.Name
	}
	return ns
}

// Exprs returns the expressions a node evaluates directly (not those of its
// children), for rules and EXPLAIN of subqueries.
func Exprs(n Node) []expr.Expr {
	switch n := n.(type) {
	case *Filter:
		return []expr.Expr{n.Pred}
	case *Project:
		return n.Exprs
	case *HashAgg:
		out := append([]expr.Expr(nil), n.GroupBy...)
		for _, a := range n.Aggs {
			out = append(out, a.Args...)
			for _, k := range a.OrderBy {
				out = append(out, k.E)
			}
			if a.Filter != nil {
				out = append(out, a.Filter)
			}
		}
		return out
	case *Join:
		if n.On != nil {
			return []expr.Expr{n.On}
		}
	case *HashJoin:
		out := append(append([]expr.Expr(nil), n.LeftKeys...), n.RightKeys...)
		if n.Residual != nil {
			out = append(out, n.Residual)
		}
		return out
	case *NestedLoopJoin:
		if n.On != nil {
			return []expr.Expr{n.On}
		}
	case *Sort:
		out := make([]expr.Expr, len(n.Keys))
		for i, k := range n.Keys {
			out[i] = k.E
		}
		return out
	case *Values:
		var out []expr.Expr
		for _, r := range n.Rows {
			out = append(out, r...)
		}
		return out
	case *Window:
		var out []expr.Expr
		for _, f := range n.Funcs {
			out = append(out, f.Args...)
			out = append(out, f.PartitionBy...)
			for _, k := range f.OrderBy {
				out = append(out, k.E)
			}
		}
		return out
	case *GenerateSeries:
		return n.Args
	case *Limit:
		var out []expr.Expr
		if n.Count != nil {
			out = append(out, n.Count)
		}
		if n.Offset != nil {
			out = append(out, n.Offset)
		}
		return out
	}
	return nil
}

func nodeSubqueries(n Node) []*expr.Subquery {
	var out []*expr.Subquery
	for _, e := range Exprs(n) {
		Walk(e, func(e expr.Expr) bool {
			if sq, ok := e.(*expr.Subquery); ok {
				out = append(out, sq)
			}
			return true
		})
	}
	return out
}

func exprList(es []expr.Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}
