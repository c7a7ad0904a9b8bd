package binder

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Arrays beyond ARRAY[...] of text: subscripts, ARRAY(subquery) and the
// array and catalog type names psql's describe queries use (int2[],
// oid[], regnamespace). The element-level work is in sql/expr
// (funcs_array.go); x op ANY/ALL(array) resolves there through anyAll.

// markerArraySubq is the front end's weir_array_subquery((subquery)):
// ARRAY(subquery).
const markerArraySubq = "weir_array_subquery"

// lookupTypeName resolves type names parseTypeName has no case for: any
// name sql/types knows by its pg_type.typname or format_type spelling
// ("_int2", "regnamespace", "oid[]"), and "elem[]" for an element type
// that has an array type.
func lookupTypeName(s string) (types.T, bool) {
	if elem, ok := strings.CutSuffix(s, "[]"); ok {
		e, err := parseTypeName(elem)
		if err != nil {
			return types.T{}, false
		}
		return types.ArrayOf(e)
	}
	for _, t := range types.All() {
		if t.TypName() == s || t.String() == s {
			return t, true
		}
	}
	return types.T{}, false
}

// subscript binds weir_subscript(x, i): x[i] on an array (NULL when i is
// out of range). Slices x[a:b] are not supported.
func (b *binder) subscript(s *scope, n *ast.FuncCallExpr) (expr.Expr, error) {
	if len(n.Args) != 2 {
		return nil, pgerror.NotSupported("array slices are not supported").WithPosition(b.pos(n))
	}
	x, err := b.expr(s, n.Args[0])
	if err != nil {
		return nil, err
	}
	i, err := b.expr(s, n.Args[1])
	if err != nil {
		return nil, err
	}
	if !x.Type().IsArray() {
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch,
			"cannot subscript type %s because it does not support subscripting", x.Type()).WithPosition(b.pos(n))
	}
	return b.resolveCall(markerSubscript, []expr.Expr{x, i}, n)
}

// arraySubquery binds ARRAY(subquery): the subquery's single column
// aggregated with array_agg in the subquery's row order, as a scalar
// subquery; an empty result is the empty array, not NULL.
func (b *binder) arraySubquery(s *scope, n *ast.FuncCallExpr) (expr.Expr, error) {
	if len(n.Args) != 1 {
		return nil, pgerror.Syntax(b.pos(n), "malformed %s", markerArraySubq)
	}
	sub, ok := n.Args[0].(*ast.SubqueryExpr)
	if !ok {
		return nil, pgerror.Syntax(b.pos(n), "malformed %s", markerArraySubq)
	}
	saveAgg, saveWin := b.agg, b.win
	b.agg, b.win = nil, nil
	b.corr = append(b.corr, false)
	res, err := b.query(s, sub.Query)
	corr := b.corr[len(b.corr)-1]
	b.corr = b.corr[:len(b.corr)-1]
	b.agg, b.win = saveAgg, saveWin
	if err != nil {
		return nil, err
	}
	if len(res.cols) != 1 {
		return nil, pgerror.New(pgerror.CodeSyntaxError, "subquery must return only one column").WithPosition(b.pos(n))
	}
	elem := res.cols[0].t
	if elem.ID == types.Unknown || elem.ID == types.Varchar {
		elem = types.TText
	}
	arrT, ok := types.ArrayOf(elem)
	if !ok {
		return nil, pgerror.NotSupported("arrays of type %s are not supported", elem).WithPosition(b.pos(n))
	}
	var arg expr.Expr = &expr.ColRef{Idx: 0, T: res.cols[0].t, Name: res.cols[0].name}
	if arg.Type().ID != elem.ID {
		arg = &expr.Cast{E: arg, To: elem}
	}
	fn, err := expr.ResolveAgg("array_agg", []types.T{elem})
	if err != nil {
		return nil, b.errAt(err, n)
	}
	plan := &planner.HashAgg{
		Input: res.plan,
		Aggs:  []planner.AggCall{{Fn: fn, Args: []expr.Expr{arg}}},
		Cols:  []planner.Column{{Name: "array", T: arrT}},
	}
	b.nextSQ++
	sq := &expr.Subquery{ID: b.nextSQ, Kind: expr.SubqueryScalar, Correlated: corr, T: arrT, Plan: planner.Optimize(plan)}
	empty := &expr.Const{D: types.DString(types.EncodeArray(elem, nil)), T: arrT}
	return &expr.Coalesce{Args: []expr.Expr{sq, empty}, T: arrT}, nil
}

// tvfDerived reports whether q is the front end's derived table for a
// function in FROM (`SELECT * FROM weir_tvf_dual WHERE weir_tvf(...)`),
// and whether it carries a column alias list (weir_tvf_columns).
func tvfDerived(q ast.ResultSetNode) (ok, colList bool) {
	sel, isSel := q.(*ast.SelectStmt)
	if !isSel || sel.From == nil || sel.From.TableRefs == nil || sel.Where == nil {
		return false, false
	}
	ts, isTS := sel.From.TableRefs.Left.(*ast.TableSource)
	if !isTS || sel.From.TableRefs.Right != nil {
		return false, false
	}
	tn, isTN := ts.Source.(*ast.TableName)
	if !isTN || tn.Name.L != markerTVFDual {
		return false, false
	}
	f, isF := sel.Where.(*ast.FuncCallExpr)
	if !isF || f.FnName.L != markerTVF {
		return false, false
	}
	if n := len(f.Args); n > 0 {
		if c, isC := f.Args[n-1].(*ast.FuncCallExpr); isC && c.FnName.L == markerTVFColumns {
			colList = true
		}
	}
	return true, colList
}

// unnestTVF binds unnest(array) in FROM: one row per element (NULL
// elements included, none for a NULL or empty array), planned as
// arr[i] over generate_series(1, cardinality(arr)). The argument may read
// the enclosing query's columns, as psql's `array(select ... from
// unnest(tc.reloptions) x)` does.
func (b *binder) unnestTVF(sc *scope, args []ast.ExprNode, colNames []string, f *ast.FuncCallExpr) (planner.Node, *scope, error) {
	if len(args) != 1 {
		return nil, nil, pgerror.NotSupported("unnest with %d arguments is not supported", len(args)).WithPosition(b.pos(f))
	}
	arr, err := b.expr(&scope{parent: sc.parent}, args[0])
	if err != nil {
		return nil, nil, b.errAt(err, args[0])
	}
	if arr.Type().ID == types.Unknown {
		if arr, err = b.coerce(arr, types.TTextArray, false, "unnest"); err != nil {
			return nil, nil, err
		}
	}
	at := arr.Type()
	elem, ok := at.ArrayElem()
	if !ok || at.ID == types.Int2Vector || at.ID == types.OidVector {
		return nil, nil, pgerror.New(pgerror.CodeUndefinedFunction, "function unnest(%s) does not exist", at).WithPosition(b.pos(f))
	}
	card, err := b.resolveCall("cardinality", []expr.Expr{arr}, f)
	if err != nil {
		return nil, nil, err
	}
	one := &expr.Const{D: types.DInt(1), T: types.TInt4}
	series := &planner.GenerateSeries{Args: []expr.Expr{one, card}, Cols: []planner.Column{{Name: "i", T: types.TInt4}}}
	sub, err := b.resolveCall(markerSubscript, []expr.Expr{arr, &expr.ColRef{Idx: 0, T: types.TInt4, Name: "i"}}, f)
	if err != nil {
		return nil, nil, err
	}
	col := "unnest"
	if len(colNames) > 0 {
		col = colNames[0]
	}
	plan := &planner.Project{Input: series, Exprs: []expr.Expr{sub}, Cols: []planner.Column{{Name: col, T: elem}}}
	return plan, &scope{cols: []scopeCol{{name: col, t: elem}}, parent: sc.parent}, nil
}
