package binder

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
)

// aggSpec is one aggregate call as the front end writes it: TiDB's own
// aggregates (count, sum, avg, min, max) are *ast.AggregateFuncExpr, every
// other aggregate (string_agg, bool_and, array_agg, ...) is an ordinary
// *ast.FuncCallExpr named after a registered aggregate, optionally wrapped,
// innermost first, in weir_agg_distinct, weir_agg_order and
// weir_agg_filter.
type aggSpec struct {
	call     ast.ExprNode // the aggregate call itself (for positions and text)
	name     string
	args     []ast.ExprNode
	distinct bool
	order    []aggOrderItem
	filter   ast.ExprNode
}

type aggOrderItem struct {
	e                ast.ExprNode
	desc, nullsFirst bool
}

// aggOf recognises an aggregate call, with its markers, at n.
func aggOf(n ast.Node) (*aggSpec, bool) {
	var filter ast.ExprNode
	var order []aggOrderItem
	distinct := false
	for {
		f, ok := n.(*ast.FuncCallExpr)
		if !ok || f.Schema.L != "" {
			break
		}
		switch {
		case f.FnName.L == markerAggFilter && len(f.Args) == 2 && filter == nil && order == nil && !distinct:
			filter, n = f.Args[1], f.Args[0]
			continue
		case f.FnName.L == markerAggOrder && len(f.Args) >= 3 && len(f.Args)%2 == 1 && order == nil && !distinct:
			for i := 1; i+1 < len(f.Args); i += 2 {
				dir, ok := constString(f.Args[i+1])
				if !ok {
					return nil, false
				}
				it := aggOrderItem{e: f.Args[i], desc: strings.HasPrefix(dir, "desc")}
				it.nullsFirst = it.desc
				if strings.HasSuffix(dir, "nulls first") {
					it.nullsFirst = true
				} else if strings.HasSuffix(dir, "nulls last") {
					it.nullsFirst = false
				}
				order = append(order, it)
			}
			n = f.Args[0]
			continue
		case f.FnName.L == markerAggDistinct && len(f.Args) == 1 && !distinct:
			distinct, n = true, f.Args[0]
			continue
		}
		break
	}
	switch a := n.(type) {
	case *ast.AggregateFuncExpr:
		return &aggSpec{call: a, name: strings.ToLower(a.F), args: a.Args, distinct: a.Distinct || distinct, order: order, filter: filter}, true
	case *ast.FuncCallExpr:
		if (a.Schema.L == "" || a.Schema.L == "pg_catalog") && expr.IsAggregate(a.FnName.L) {
			return &aggSpec{call: a, name: a.FnName.L, args: a.Args, distinct: distinct, order: order, filter: filter}, true
		}
	}
	return nil, false
}

// isAggNode reports whether n is an aggregate call or one of its markers.
func isAggNode(n ast.Node) bool {
	if f, ok := n.(*ast.FuncCallExpr); ok {
		switch f.FnName.L {
		case markerAggFilter, markerAggOrder, markerAggDistinct:
			return true
		}
	}
	_, ok := aggOf(n)
	return ok
}

// orderInsensitiveAggs are aggregates whose result does not depend on the
// order of their input, so an ORDER BY inside their call is dropped rather
// than paid for.
var orderInsensitiveAggs = map[string]bool{
	"count": true, "min": true, "max": true, "bool_and": true, "bool_or": true, "every": true,
}

// aggOrder binds an aggregate's ORDER BY items over the FROM row. With
// DISTINCT every key must be one of the arguments, as PostgreSQL requires
// (42P10).
func (b *binder) aggOrder(s *scope, sp *aggSpec, args []expr.Expr) ([]planner.SortKey, error) {
	if len(sp.order) == 0 || orderInsensitiveAggs[sp.name] && !sp.distinct {
		return nil, nil
	}
	keys := make([]planner.SortKey, 0, len(sp.order))
	for _, it := range sp.order {
		if containsAgg(it.e) {
			return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate function calls cannot be nested").WithPosition(b.pos(it.e))
		}
		e, err := b.exprRaw(s, it.e)
		if err != nil {
			return nil, b.errAt(err, it.e)
		}
		if e, err = b.resolveUnknown(e); err != nil {
			return nil, b.errAt(err, it.e)
		}
		if sp.distinct {
			found := false
			for _, a := range args {
				found = found || a.String() == e.String()
			}
			if !found {
				return nil, pgerror.New(pgerror.CodeInvalidColumnReference, "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list").WithPosition(b.pos(it.e))
			}
		}
		keys = append(keys, planner.SortKey{E: e, Desc: it.desc, NullsFirst: it.nullsFirst})
	}
	if orderInsensitiveAggs[sp.name] {
		return nil, nil
	}
	return keys, nil
}
