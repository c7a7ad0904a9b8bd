package binder

import (
	"math"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// queryResult is a bound query: its plan and output columns.
type queryResult struct {
	plan planner.Node
	cols []scopeCol
}

func (q *queryResult) resultColumns() []ResultColumn {
	out := make([]ResultColumn, len(q.cols))
	for i, c := range q.cols {
		out[i] = ResultColumn{Name: c.name, T: c.t, TableOID: c.relOID, AttNum: c.attNum}
	}
	return out
}

// query binds a SELECT or set operation; parent is the enclosing query's
// scope (nil at top level).
func (b *binder) query(parent *scope, n ast.ResultSetNode) (*queryResult, error) {
	switch n := n.(type) {
	case *ast.SelectStmt:
		return b.selectStmt(parent, n)
	case *ast.SetOprStmt:
		return b.setOpStmt(parent, n)
	}
	return nil, pgerror.NotSupported("query form %T is not supported", n)
}

// aggCtx is the state of binding the expressions above a HashAgg: they
// read the aggregate's output (group keys, then aggregates), while the
// aggregates' arguments and the group keys read the FROM row.
type aggCtx struct {
	groups    []expr.Expr
	groupKeys []string
	groupCols []scopeCol
	aggs      []planner.AggCall
	aggKeys   []string
	inAgg     bool
}

// winCtx collects window functions; their values are appended after the
// base input columns.
type winCtx struct {
	funcs []planner.WindowFunc
	keys  []string
}

func (b *binder) selectStmt(parent *scope, sel *ast.SelectStmt) (*queryResult, error) {
	pop, err := b.with(sel.With)
	defer pop()
	if err != nil {
		return nil, err
	}
	var plan planner.Node
	var sc *scope
	if sel.From == nil {
		plan = &planner.Values{Rows: [][]expr.Expr{{}}}
		sc = &scope{parent: parent}
	} else {
		plan, sc, err = b.from(parent, sel.From.TableRefs)
		if err != nil {
			return nil, err
		}
	}
	// WHERE (a weir_tvf marker in WHERE is a table function, handled by
	// from via tvfWhere).
	where := sel.Where
	if where != nil {
		if f, ok := where.(*ast.FuncCallExpr); ok && f.FnName.L == markerTVF {
			plan, sc, err = b.tvf(sc, plan, f)
			if err != nil {
				return nil, err
			}
			where = nil
		} else if ok && f.FnName.L == markerValuesRows && isValuesPlaceholder(sel.From) {
			plan, sc, err = b.values(sc, f)
			if err != nil {
				return nil, err
			}
			where = nil
		}
	}
	if where != nil {
		if containsAgg(where) {
			return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed in WHERE").WithPosition(b.pos(where))
		}
		var pred expr.Expr
		err := b.inClause("WHERE", func() (err error) {
			pred, err = b.boolExpr(sc, where, "WHERE")
			return err
		})
		if err != nil {
			return nil, err
		}
		plan = &planner.Filter{Input: plan, Pred: pred}
	}

	fields := sel.Fields.Fields
	// DISTINCT ON arrives as a marker first field.
	var distinctOn []ast.ExprNode
	if len(fields) > 0 && fields[0].Expr != nil {
		if f, ok := fields[0].Expr.(*ast.FuncCallExpr); ok && f.FnName.L == markerDistinctOn {
			distinctOn = f.Args
			fields = fields[1:]
		}
	}

	hasAgg := sel.GroupBy != nil || sel.Having != nil
	for _, f := range fields {
		hasAgg = hasAgg || (f.Expr != nil && containsAgg(f.Expr))
	}
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			hasAgg = hasAgg || containsAgg(it.Expr)
		}
	}

	// post is the scope expressions above the aggregation bind in.
	from := sc
	var agg *aggCtx
	if hasAgg {
		agg = &aggCtx{}
		if sel.GroupBy != nil {
			for _, it := range sel.GroupBy.Items {
				if err := b.inClause("GROUP BY", func() error { return b.groupItem(sc, agg, it.Expr, fields) }); err != nil {
					return nil, err
				}
			}
		}
	}
	hasWin := false
	for _, f := range fields {
		hasWin = hasWin || (f.Expr != nil && containsWindow(f.Expr))
	}
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			hasWin = hasWin || containsWindow(it.Expr)
		}
	}

	saveAgg, saveWin := b.agg, b.win
	defer func() { b.agg, b.win = saveAgg, saveWin }()
	b.agg = agg
	b.win = nil
	if hasWin {
		b.win = &winCtx{}
	}

	// Select list.
	var exprs []expr.Expr
	var outCols []scopeCol
	for _, f := range fields {
		if f.WildCard != nil {
			if agg != nil {
				return nil, pgerror.New(pgerror.CodeGroupingError, "SELECT * with GROUP BY or aggregates is not supported")
			}
			n := 0
			for i, c := range sc.cols {
				if !c.inStar(f.WildCard.Table.O) {
					continue
				}
				exprs = append(exprs, &expr.ColRef{Idx: i, T: c.t, Name: displayName(c)})
				outCols = append(outCols, c)
				n++
			}
			if n == 0 && f.WildCard.Table.O != "" && !sc.hasTable(f.WildCard.Table.O) {
				return nil, pgerror.New(pgerror.CodeUndefinedTable, "missing FROM-clause entry for table %q", f.WildCard.Table.O).WithPosition(b.pos(f))
			}
			continue
		}
		e, err := b.expr(from, f.Expr)
		if err != nil {
			return nil, b.errAt(err, f.Expr)
		}
		e, err = b.resolveUnknown(e)
		if err != nil {
			return nil, err
		}
		exprs = append(exprs, e)
		outCols = append(outCols, b.fieldCol(f, e, from))
	}

	// HAVING.
	var having expr.Expr
	if sel.Having != nil {
		if agg == nil {
			agg = &aggCtx{}
			b.agg = agg
		}
		err = b.inClause("HAVING", func() (err error) {
			having, err = b.boolExpr(from, sel.Having.Expr, "HAVING")
			return err
		})
		if err != nil {
			return nil, err
		}
	}

	// ORDER BY: resolved against output names, ordinals, then expressions.
	type orderItem struct {
		key planner.SortKey
		col int
	}
	var orders []orderItem
	if sel.OrderBy != nil {
		for _, it := range sel.OrderBy.Items {
			e, nullsFirst, nullsSet := unwrapNulls(it.Expr)
			col, err := b.orderTarget(from, e, fields, exprs, outCols, &exprs, &outCols, sel.Distinct)
			if err != nil {
				return nil, b.errAt(err, e)
			}
			nf := it.Desc
			if nullsSet {
				nf = nullsFirst
			}
			orders = append(orders, orderItem{key: planner.SortKey{Desc: it.Desc, NullsFirst: nf}, col: col})
		}
	}
	var onCols []int
	for _, d := range distinctOn {
		col, err := b.orderTarget(from, d, fields, exprs, outCols, &exprs, &outCols, false)
		if err != nil {
			return nil, b.errAt(err, d)
		}
		onCols = append(onCols, col)
	}

	// Assemble: agg, having, window, project, distinct, sort, limit, trim.
	if agg != nil {
		cols := append([]scopeCol(nil), agg.groupCols...)
		for _, a := range agg.aggs {
			cols = append(cols, scopeCol{name: a.Fn.Name, t: a.Fn.Ret})
		}
		plan = &planner.HashAgg{Input: plan, GroupBy: agg.groups, Aggs: agg.aggs, Cols: planCols(cols)}
		if having != nil {
			plan = &planner.Filter{Input: plan, Pred: having}
		}
	}
	if b.win != nil && len(b.win.funcs) > 0 {
		in := plan.Schema()
		cols := append([]planner.Column(nil), in...)
		base := len(in)
		for _, f := range b.win.funcs {
			cols = append(cols, planner.Column{Name: f.Name, T: f.T})
		}
		// Window column refs were numbered from winRefBase; now that the
		// input width is known, point them past the input columns.
		for i, e := range exprs {
			exprs[i] = shiftWindowRefs(e, base)
		}
		plan = &planner.Window{Input: plan, Funcs: b.win.funcs, Cols: cols}
	}
	pcols := planCols(outCols)
	plan = &planner.Project{Input: plan, Exprs: exprs, Cols: pcols}
	visible := len(fields)
	if len(fields) > 0 {
		visible = countVisible(fields, len(outCols), len(exprs), sc)
	}
	if sel.Distinct && distinctOn == nil {
		if len(exprs) > visible {
			return nil, pgerror.New(pgerror.CodeInvalidColumnReference, "for SELECT DISTINCT, ORDER BY expressions must appear in select list")
		}
		plan = &planner.Distinct{Input: plan}
	}
	if len(orders) > 0 {
		keys := make([]planner.SortKey, len(orders))
		for i, o := range orders {
			k := o.key
			k.E = &expr.ColRef{Idx: o.col, T: pcols[o.col].T, Name: pcols[o.col].Name}
			keys[i] = k
		}
		plan = &planner.Sort{Input: plan, Keys: keys}
	} else if distinctOn != nil {
		keys := make([]planner.SortKey, len(onCols))
		for i, c := range onCols {
			keys[i] = planner.SortKey{E: &expr.ColRef{Idx: c, T: pcols[c].T, Name: pcols[c].Name}}
		}
		plan = &planner.Sort{Input: plan, Keys: keys}
	}
	if distinctOn != nil {
		plan = &planner.Distinct{Input: plan, On: onCols}
	}
	if plan, err = b.limit(plan, sel.Limit); err != nil {
		return nil, err
	}
	if len(exprs) > visible {
		trim := make([]expr.Expr, visible)
		for i := range trim {
			trim[i] = &expr.ColRef{Idx: i, T: pcols[i].T, Name: pcols[i].Name}
		}
		plan = &planner.Project{Input: plan, Exprs: trim, Cols: pcols[:visible]}
		outCols = outCols[:visible]
	}
	return &queryResult{plan: plan, cols: outCols}, nil
}

// countVisible returns how many of the projected columns are the select
// list's (the rest are ORDER BY / DISTINCT ON helpers).
func countVisible(fields []*ast.SelectField, nOut, nExprs int, sc *scope) int {
	n := 0
	for _, f := range fields {
		if f.WildCard == nil {
			n++
			continue
		}
		for _, c := range sc.cols {
			if c.inStar(f.WildCard.Table.O) {
				n++
			}
		}
	}
	return min(n, nExprs)
}

// limit adds LIMIT/OFFSET (int8 constants or parameters).
func (b *binder) limit(plan planner.Node, l *ast.Limit) (planner.Node, error) {
	if l == nil {
		return plan, nil
	}
	bind := func(e ast.ExprNode, what string) (expr.Expr, error) {
		if e == nil {
			return nil, nil
		}
		// TiDB reads LIMIT constants as unsigned. The largest one is the
		// front end's "no limit" (OFFSET without LIMIT, LIMIT ALL).
		if v, ok := e.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindUint64 {
			if v.GetUint64() == math.MaxUint64 {
				return nil, nil
			}
			if v.GetUint64() <= math.MaxInt64 {
				return &expr.Const{D: types.DInt(int64(v.GetUint64())), T: types.TInt8}, nil
			}
		}
		x, err := b.expr(&scope{}, e)
		if err != nil {
			return nil, b.errAt(err, e)
		}
		return b.coerce(x, types.TInt8, false, what)
	}
	count, err := bind(l.Count, "LIMIT")
	if err != nil {
		return nil, err
	}
	off, err := bind(l.Offset, "OFFSET")
	if err != nil {
		return nil, err
	}
	if count == nil && off == nil {
		return plan, nil
	}
	return &planner.Limit{Input: plan, Count: count, Offset: off}, nil
}

// groupItem binds one GROUP BY item: an input column or expression, an
// output ordinal, or (as PostgreSQL allows) an output column name when no
// input column has that name.
func (b *binder) groupItem(sc *scope, agg *aggCtx, n ast.ExprNode, fields []*ast.SelectField) error {
	target := n
	if i, ok := ordinal(n); ok {
		if i < 1 || i > len(fields) || fields[i-1].WildCard != nil {
			return pgerror.New(pgerror.CodeInvalidColumnReference, "GROUP BY position %d is not in select list", i).WithPosition(b.pos(n))
		}
		target = fields[i-1].Expr
	} else if c, ok := n.(*ast.ColumnNameExpr); ok && c.Name.Table.O == "" {
		if i, _ := sc.lookup("", c.Name.Name.O); i < 0 {
			for _, f := range fields {
				if f.AsName.O == c.Name.Name.O && f.Expr != nil {
					target = f.Expr
					break
				}
			}
		}
	}
	if containsAgg(target) {
		return pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed in GROUP BY").WithPosition(b.pos(n))
	}
	saved := b.agg
	b.agg = nil
	e, err := b.expr(sc, target)
	b.agg = saved
	if err != nil {
		return b.errAt(err, target)
	}
	if e, err = b.resolveUnknown(e); err != nil {
		return err
	}
	key := e.String()
	for _, k := range agg.groupKeys {
		if k == key {
			return nil
		}
	}
	col := scopeCol{name: "?column?", t: e.Type()}
	if c, ok := e.(*expr.ColRef); ok {
		col = sc.cols[c.Idx]
	}
	agg.groups = append(agg.groups, e)
	agg.groupKeys = append(agg.groupKeys, key)
	agg.groupCols = append(agg.groupCols, col)
	return nil
}

// orderTarget resolves an ORDER BY (or DISTINCT ON) item to a projected
// column index, appending a helper column when the item is not in the
// select list.
func (b *binder) orderTarget(from *scope, n ast.ExprNode, fields []*ast.SelectField, exprs []expr.Expr, outCols []scopeCol, pexprs *[]expr.Expr, pcols *[]scopeCol, distinct bool) (int, error) {
	if i, ok := ordinal(n); ok {
		if i < 1 || i > len(outCols) {
			return 0, pgerror.New(pgerror.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", i)
		}
		return i - 1, nil
	}
	if c, ok := n.(*ast.ColumnNameExpr); ok && c.Name.Table.O == "" {
		found := -1
		for i, oc := range outCols {
			if oc.name == c.Name.Name.O && (i >= len(fields) || true) {
				if found >= 0 && exprs[found].String() != exprs[i].String() {
					return 0, pgerror.New(pgerror.CodeAmbiguousColumn, "ORDER BY %q is ambiguous", c.Name.Name.O)
				}
				if found < 0 {
					found = i
				}
			}
		}
		if found >= 0 {
			return found, nil
		}
	}
	e, err := b.expr(from, n)
	if err != nil {
		return 0, err
	}
	if e, err = b.resolveUnknown(e); err != nil {
		return 0, err
	}
	key := e.String()
	for i, x := range *pexprs {
		if x.String() == key {
			return i, nil
		}
	}
	*pexprs = append(*pexprs, e)
	*pcols = append(*pcols, scopeCol{name: "?column?", t: e.Type()})
	return len(*pexprs) - 1, nil
}

// fieldCol names a select-list column as PostgreSQL does.
func (b *binder) fieldCol(f *ast.SelectField, e expr.Expr, from *scope) scopeCol {
	col := scopeCol{name: "?column?", t: e.Type()}
	if c, ok := e.(*expr.ColRef); ok && b.agg == nil && c.Idx < len(from.cols) {
		col = from.cols[c.Idx]
		col.hidden = false
		col.unqualHidden = false
	} else if c, ok := e.(*expr.ColRef); ok && b.agg != nil && c.Idx < len(b.agg.groupCols) {
		col = b.agg.groupCols[c.Idx]
	}
	col.t = e.Type()
	col.table = ""
	if f.AsName.O != "" {
		col.name = f.AsName.O
		return col
	}
	col.name = b.exprName(f.Expr, col.name)
	return col
}

// exprName is PostgreSQL's default output name of an expression
// (FigureColname): dflt when PostgreSQL would say "?column?".
func (b *binder) exprName(n ast.ExprNode, dflt string) string {
	if name, strength := b.figureName(n); strength > 0 {
		return name
	}
	return dflt
}

// figureName follows PostgreSQL's FigureColnameInternal: it returns a name
// and its strength, 2 for a column, function or field name, 1 for a type
// name of a cast (which a stronger inner name overrides, so x::text is x
// and 't'::regclass::oid is oid) or for CASE, 0 for none.
func (b *binder) figureName(n ast.ExprNode) (string, int) {
	switch n := n.(type) {
	case *ast.ColumnNameExpr:
		return n.Name.Name.O, 2
	case *ast.ParenthesesExpr:
		return b.figureName(n.Expr)
	case *ast.AggregateFuncExpr:
		return strings.ToLower(n.F), 2
	case *ast.WindowFuncExpr:
		return strings.ToLower(n.Name), 2
	case *test_driver.ValueExpr:
		// TRUE and FALSE are bool casts in PostgreSQL's grammar.
		if n.Kind() == test_driver.KindInt64 && (n.GetInt64() == 0 || n.GetInt64() == 1) {
			if t := b.textAt(n); hasPrefixFold(t, "true") || hasPrefixFold(t, "false") {
				return "bool", 1
			}
		}
		return "", 0
	case *ast.FuncCallExpr:
		switch n.FnName.L {
		case markerCast:
			if len(n.Args) == 2 {
				if name, s := b.figureName(n.Args[0]); s > 1 {
					return name, s
				}
				if s, ok := constString(n.Args[1]); ok {
					if t, err := parseTypeName(s); err == nil {
						return t.TypName(), 1
					}
				}
			}
			return "", 0
		case markerAggFilter, markerAggOrder, markerAggDistinct, markerSubscript:
			if len(n.Args) > 0 {
				return b.figureName(n.Args[0])
			}
			return "", 0
		case markerField:
			if len(n.Args) == 2 {
				if f, ok := constString(n.Args[1]); ok && f != "*" {
					return f, 2
				}
			}
			return "", 0
		case markerExtract:
			return "extract", 2
		case markerInterval:
			return "interval", 1
		case markerAtTimeZone:
			return "timezone", 2
		case markerArray, markerArraySubq:
			return "array", 2
		case markerIsDistinct, markerIsNotDistinct, markerOp, markerAny, markerAll:
			return "", 0
		}
		if n.FnName.L == "concat" && !hasPrefixFold(strings.TrimSpace(b.textAt(n)), "concat") {
			return "", 0 // a || b
		}
		if strings.HasPrefix(n.FnName.L, "weir_") {
			return "", 0
		}
		return n.FnName.L, 2
	case *ast.CaseExpr:
		return "case", 1
	case *ast.ExistsSubqueryExpr:
		return "exists", 2
	case *ast.SubqueryExpr:
		if sel, ok := n.Query.(*ast.SelectStmt); ok && len(sel.Fields.Fields) == 1 && sel.Fields.Fields[0].Expr != nil {
			if sel.Fields.Fields[0].AsName.O != "" {
				return sel.Fields.Fields[0].AsName.O, 2
			}
			return b.figureName(sel.Fields.Fields[0].Expr)
		}
	}
	return "", 0
}

// unwrapNulls strips a weir_nulls_first/last marker.
func unwrapNulls(n ast.ExprNode) (e ast.ExprNode, nullsFirst, set bool) {
	if f, ok := n.(*ast.FuncCallExpr); ok && len(f.Args) == 1 {
		switch f.FnName.L {
		case markerNullsFirst:
			return f.Args[0], true, true
		case markerNullsLast:
			return f.Args[0], false, true
		}
	}
	return n, false, false
}

// winRefBase numbers the column references to window function results
// while the width of the window's input is not yet known.
const winRefBase = 1 << 20

// shiftWindowRefs renumbers window result references to base+k.
func shiftWindowRefs(e expr.Expr, base int) expr.Expr {
	return planner.RemapColumns(e, func(i int) int {
		if i >= winRefBase {
			return base + i - winRefBase
		}
		return i
	})
}

// setOpStmt binds UNION / INTERSECT / EXCEPT chains. INTERSECT binds
// tighter than UNION and EXCEPT, which associate left to right.
func (b *binder) setOpStmt(parent *scope, n *ast.SetOprStmt) (*queryResult, error) {
	pop, err := b.with(n.With)
	defer pop()
	if err != nil {
		return nil, err
	}
	items := n.SelectList.Selects
	var operands []*queryResult
	var ops []*ast.SetOprType
	for _, it := range items {
		var q *queryResult
		var err error
		var after *ast.SetOprType
		switch it := it.(type) {
		case *ast.SelectStmt:
			after = it.AfterSetOperator
			q, err = b.selectStmt(parent, it)
		case *ast.SetOprSelectList:
			after = it.AfterSetOperator
			q, err = b.setOpStmt(parent, &ast.SetOprStmt{SelectList: &ast.SetOprSelectList{Selects: it.Selects}, OrderBy: it.OrderBy, Limit: it.Limit})
		case *ast.SetOprStmt:
			q, err = b.setOpStmt(parent, it)
		default:
			err = pgerror.NotSupported("set operation operand %T", it)
		}
		if err != nil {
			return nil, err
		}
		if len(operands) > 0 {
			ops = append(ops, after)
		}
		operands = append(operands, q)
	}
	// INTERSECT first.
	for i := 0; i < len(ops); {
		if t := ops[i]; t != nil && (*t == ast.Intersect || *t == ast.IntersectAll) {
			q, err := b.combine(operands[i], operands[i+1], *t)
			if err != nil {
				return nil, err
			}
			operands = append(operands[:i], append([]*queryResult{q}, operands[i+2:]...)...)
			ops = append(ops[:i], ops[i+1:]...)
			continue
		}
		i++
	}
	res := operands[0]
	for i, t := range ops {
		var err error
		if res, err = b.combine(res, operands[i+1], *t); err != nil {
			return nil, err
		}
	}
	plan := res.plan
	cols := res.cols
	if n.OrderBy != nil {
		var keys []planner.SortKey
		for _, it := range n.OrderBy.Items {
			e, nf, set := unwrapNulls(it.Expr)
			idx := -1
			if i, ok := ordinal(e); ok {
				idx = i - 1
				if idx < 0 || idx >= len(cols) {
					return nil, pgerror.New(pgerror.CodeInvalidColumnReference, "ORDER BY position %d is not in select list", idx+1).WithPosition(b.pos(e))
				}
			} else if c, ok := e.(*ast.ColumnNameExpr); ok && c.Name.Table.O == "" {
				for i, oc := range cols {
					if oc.name == c.Name.Name.O {
						idx = i
						break
					}
				}
			}
			if idx < 0 {
				return nil, pgerror.New(pgerror.CodeFeatureNotSupported, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause").
					WithDetail("Only result column names can be used, not expressions or functions.").WithPosition(b.pos(e))
			}
			if !set {
				nf = it.Desc
			}
			keys = append(keys, planner.SortKey{E: &expr.ColRef{Idx: idx, T: cols[idx].t, Name: cols[idx].name}, Desc: it.Desc, NullsFirst: nf})
		}
		plan = &planner.Sort{Input: plan, Keys: keys}
	}
	plan, err = b.limit(plan, n.Limit)
	if err != nil {
		return nil, err
	}
	return &queryResult{plan: plan, cols: cols}, nil
}

// combine applies one set operation, casting both sides to the common
// column types.
func (b *binder) combine(l, r *queryResult, t ast.SetOprType) (*queryResult, error) {
	if len(l.cols) != len(r.cols) {
		name := "UNION"
		switch t {
		case ast.Intersect, ast.IntersectAll:
			name = "INTERSECT"
		case ast.Except, ast.ExceptAll:
			name = "EXCEPT"
		}
		return nil, pgerror.New(pgerror.CodeSyntaxError, "each %s query must have the same number of columns", name)
	}
	lt, rt := make([]types.T, len(l.cols)), make([]types.T, len(l.cols))
	cols := make([]scopeCol, len(l.cols))
	for i := range l.cols {
		ct, err := b.commonType([]expr.Expr{&expr.ColRef{T: l.cols[i].t}, &expr.ColRef{T: r.cols[i].t}}, "UNION")
		if err != nil {
			return nil, err
		}
		lt[i], rt[i] = ct, ct
		cols[i] = scopeCol{name: l.cols[i].name, t: ct}
	}
	lp, err := b.castPlan(l.plan, lt)
	if err != nil {
		return nil, err
	}
	rp, err := b.castPlan(r.plan, rt)
	if err != nil {
		return nil, err
	}
	n := &planner.SetOp{Left: lp, Right: rp}
	switch t {
	case ast.Union:
	case ast.UnionAll:
		n.All = true
	case ast.Intersect:
		n.Kind = planner.Intersect
	case ast.IntersectAll:
		n.Kind, n.All = planner.Intersect, true
	case ast.Except:
		n.Kind = planner.Except
	case ast.ExceptAll:
		n.Kind, n.All = planner.Except, true
	}
	return &queryResult{plan: n, cols: cols}, nil
}

// castPlan projects plan's columns to ts when any type differs.
func (b *binder) castPlan(plan planner.Node, ts []types.T) (planner.Node, error) {
	in := plan.Schema()
	same := true
	for i := range in {
		same = same && in[i].T == ts[i]
	}
	if same {
		return plan, nil
	}
	exprs := make([]expr.Expr, len(in))
	cols := make([]planner.Column, len(in))
	for i, c := range in {
		e, err := b.coerce(&expr.ColRef{Idx: i, T: c.T, Name: c.Name}, ts[i], false, "UNION")
		if err != nil {
			return nil, err
		}
		exprs[i] = e
		cols[i] = planner.Column{Name: c.Name, T: ts[i]}
	}
	return &planner.Project{Input: plan, Exprs: exprs, Cols: cols}, nil
}

var _ = strconv.Itoa

// ordinal recognises a column position in GROUP BY / ORDER BY (TiDB parses
// it as a PositionExpr; a bare integer constant means the same).
func ordinal(n ast.ExprNode) (int, bool) {
	switch n := n.(type) {
	case *ast.PositionExpr:
		if n.P == nil {
			return n.N, true
		}
	case *test_driver.ValueExpr:
		switch n.Kind() {
		case test_driver.KindInt64:
			return int(n.GetInt64()), true
		case test_driver.KindUint64:
			return int(n.GetUint64()), true
		}
	}
	return 0, false
}
