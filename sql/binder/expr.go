package binder

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// expr binds an expression over scope s. Inside an aggregate query (b.agg
// set) it maps aggregates and grouped expressions to the aggregate's
// output columns and rejects ungrouped column references (42803).
func (b *binder) expr(s *scope, n ast.ExprNode) (expr.Expr, error) {
	if a := b.agg; a != nil && !a.inAgg {
		if sp, ok := aggOf(n); ok {
			return b.aggCall(s, sp)
		}
		if _, isWin := n.(*ast.WindowFuncExpr); !isWin && !containsAgg(n) && !containsWindow(n) && !containsSubquery(n) {
			b.agg = nil
			e, err := b.exprRaw(s, n)
			b.agg = a
			if err != nil {
				return nil, err
			}
			key := e.String()
			for i, g := range a.groupKeys {
				if g == key {
					return &expr.ColRef{Idx: i, T: a.groups[i].Type(), Name: key}, nil
				}
			}
			cols, _ := planner.ColumnsUsed(e)
			if len(cols) == 0 {
				return e, nil
			}
			if c, ok := e.(*expr.ColRef); ok {
				return nil, pgerror.New(pgerror.CodeGroupingError, "column %q must appear in the GROUP BY clause or be used in an aggregate function", c.Name).WithPosition(b.pos(n))
			}
		}
	}
	return b.exprRaw(s, n)
}

// boolExpr binds a condition and requires it to be boolean (42804).
func (b *binder) boolExpr(s *scope, n ast.ExprNode, clause string) (expr.Expr, error) {
	e, err := b.expr(s, n)
	if err != nil {
		return nil, b.errAt(err, n)
	}
	if e.Type().ID != types.Bool && e.Type().ID != types.Unknown {
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s", clause, e.Type()).WithPosition(b.pos(n))
	}
	return b.coerce(e, types.TBool, false, clause)
}

func (b *binder) exprRaw(s *scope, n ast.ExprNode) (expr.Expr, error) {
	switch n := n.(type) {
	case *test_driver.ParamMarkerExpr:
		idx := n.Order
		if src := b.src(); src.ParamIndex != nil && n.Order < len(src.ParamIndex) {
			idx = src.ParamIndex[n.Order]
		}
		for idx >= len(b.params) {
			b.params = append(b.params, types.TUnknown)
		}
		return &expr.Param{Idx: idx, T: b.params[idx]}, nil
	case *test_driver.ValueExpr:
		return b.literal(n)
	case *ast.ColumnNameExpr:
		e, err := b.resolveColumn(s, n.Name.Table.O, n.Name.Name.O)
		if err != nil {
			return nil, b.errAt(err, n)
		}
		return e, nil
	case *ast.ParenthesesExpr:
		return b.expr(s, n.Expr)
	case *ast.BinaryOperationExpr:
		return b.binaryExpr(s, n)
	case *ast.UnaryOperationExpr:
		return b.unaryExpr(s, n)
	case *ast.IsNullExpr:
		e, err := b.expr(s, n.Expr)
		if err != nil {
			return nil, err
		}
		if e, err = b.resolveUnknown(e); err != nil {
			return nil, err
		}
		return &expr.IsNull{E: e, Not: n.Not}, nil
	case *ast.IsTruthExpr:
		e, err := b.expr(s, n.Expr)
		if err != nil {
			return nil, err
		}
		if e, err = b.coerce(e, types.TBool, false, "IS TRUE"); err != nil {
			return nil, err
		}
		eq, err := expr.ResolveOperator("=", types.TBool, types.TBool)
		if err != nil {
			return nil, err
		}
		// x IS TRUE is x IS NOT DISTINCT FROM TRUE.
		return &expr.IsDistinct{L: e, R: &expr.Const{D: types.DBool(n.True != 0), T: types.TBool}, Eq: eq, Not: !n.Not}, nil
	case *ast.BetweenExpr:
		x, err := b.expr(s, n.Expr)
		if err != nil {
			return nil, err
		}
		lo, err := b.expr(s, n.Left)
		if err != nil {
			return nil, err
		}
		hi, err := b.expr(s, n.Right)
		if err != nil {
			return nil, err
		}
		if n.Not {
			l, err := b.binop("<", x, lo)
			if err != nil {
				return nil, err
			}
			r, err := b.binop(">", x, hi)
			if err != nil {
				return nil, err
			}
			return &expr.Or{L: l, R: r}, nil
		}
		l, err := b.binop(">=", x, lo)
		if err != nil {
			return nil, err
		}
		r, err := b.binop("<=", x, hi)
		if err != nil {
			return nil, err
		}
		return &expr.And{L: l, R: r}, nil
	case *ast.PatternInExpr:
		return b.inExpr(s, n)
	case *ast.PatternLikeOrIlikeExpr:
		l, err := b.expr(s, n.Expr)
		if err != nil {
			return nil, err
		}
		p, err := b.expr(s, n.Pattern)
		if err != nil {
			return nil, err
		}
		if n.Escape != '\\' && n.Escape != 0 {
			return nil, pgerror.NotSupported("LIKE ... ESCAPE other than backslash is not supported").WithPosition(b.pos(n))
		}
		op := "~~"
		if !n.IsLike {
			op = "~~*"
		}
		if n.Not {
			op = "!" + op
		}
		return b.binop(op, l, p)
	case *ast.PatternRegexpExpr:
		l, err := b.expr(s, n.Expr)
		if err != nil {
			return nil, err
		}
		p, err := b.expr(s, n.Pattern)
		if err != nil {
			return nil, err
		}
		op := "~"
		if n.Not {
			op = "!~"
		}
		return b.binop(op, l, p)
	case *ast.CaseExpr:
		return b.caseExpr(s, n)
	case *ast.FuncCallExpr:
		return b.funcCall(s, n)
	case *ast.AggregateFuncExpr:
		if b.agg != nil && b.agg.inAgg {
			return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate function calls cannot be nested").WithPosition(b.pos(n))
		}
		return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed here").WithPosition(b.pos(n))
	case *ast.WindowFuncExpr:
		return b.windowCall(s, n)
	case *ast.SubqueryExpr:
		return b.subquery(s, n.Query, expr.SubqueryScalar, nil, false)
	case *ast.ExistsSubqueryExpr:
		sq, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerror.NotSupported("EXISTS form %T", n.Sel)
		}
		e, err := b.subquery(s, sq.Query, expr.SubqueryExists, nil, false)
		if err != nil {
			return nil, err
		}
		if n.Not {
			return &expr.Not{E: e}, nil
		}
		return e, nil
	case *ast.CompareSubqueryExpr:
		sq, ok := n.R.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerror.NotSupported("comparison with %T", n.R)
		}
		l, err := b.expr(s, n.L)
		if err != nil {
			return nil, err
		}
		switch {
		case n.Op == opcode.EQ && !n.All:
			return b.subquery(s, sq.Query, expr.SubqueryIn, l, false)
		case n.Op == opcode.NE && n.All:
			return b.subquery(s, sq.Query, expr.SubqueryIn, l, true)
		}
		op, ok := binOps[n.Op]
		if !ok {
			return nil, pgerror.NotSupported("%s %s (subquery) is not supported", n.Op, map[bool]string{true: "ALL", false: "ANY"}[n.All]).WithPosition(b.pos(n))
		}
		e, err := b.quantified(s, sq.Query, op, l, n.All)
		if err != nil {
			return nil, b.errAt(err, n)
		}
		return e, nil
	case *ast.DefaultExpr:
		return &expr.Const{D: types.NullDatum, T: types.TUnknown}, nil
	case *ast.FuncCastExpr:
		return nil, pgerror.NotSupported("CAST form is not supported; use ::").WithPosition(b.pos(n))
	}
	return nil, pgerror.NotSupported("expression %T is not supported", n).WithPosition(b.pos(n))
}

// literal types a constant as PostgreSQL does: integers are int4 when
// they fit, else int8, else numeric; decimals and exponent forms are
// numeric; strings are unknown until context gives them a type.
func (b *binder) literal(v *test_driver.ValueExpr) (expr.Expr, error) {
	switch v.Kind() {
	case test_driver.KindNull:
		return &expr.Const{D: types.NullDatum, T: types.TUnknown}, nil
	case test_driver.KindInt64:
		i := v.GetInt64()
		if i == 1 || i == 0 {
			t := b.textAt(v)
			if hasPrefixFold(t, "true") || hasPrefixFold(t, "false") {
				return &expr.Const{D: types.DBool(i == 1), T: types.TBool}, nil
			}
		}
		if i >= -1<<31 && i < 1<<31 {
			return &expr.Const{D: types.DInt(i), T: types.TInt4}, nil
		}
		return &expr.Const{D: types.DInt(i), T: types.TInt8}, nil
	case test_driver.KindUint64:
		return numericConst(strconv.FormatUint(v.GetUint64(), 10))
	case test_driver.KindMysqlDecimal:
		return numericConst(v.GetMysqlDecimal().String())
	case test_driver.KindFloat64:
		return numericConst(strconv.FormatFloat(v.GetFloat64(), 'g', -1, 64))
	case test_driver.KindString, test_driver.KindBytes:
		return &expr.Const{D: types.DString(v.GetString()), T: types.TUnknown}, nil
	}
	return nil, pgerror.NotSupported("literal of kind %d is not supported", v.Kind()).WithPosition(b.pos(v))
}

func numericConst(s string) (expr.Expr, error) {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		return nil, pgerror.New(pgerror.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: %q", s)
	}
	return &expr.Const{D: types.DDecimal(d), T: types.TNumeric}, nil
}

var binOps = map[opcode.Op]string{
	opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<", opcode.LE: "<=", opcode.GT: ">", opcode.GE: ">=",
	opcode.Plus: "+", opcode.Minus: "-", opcode.Mul: "*", opcode.Div: "/", opcode.IntDiv: "/", opcode.Mod: "%",
	opcode.And: "&", opcode.Or: "|", opcode.Xor: "#", opcode.LeftShift: "<<", opcode.RightShift: ">>",
}

func (b *binder) binaryExpr(s *scope, n *ast.BinaryOperationExpr) (expr.Expr, error) {
	l, err := b.expr(s, n.L)
	if err != nil {
		return nil, err
	}
	r, err := b.expr(s, n.R)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case opcode.LogicAnd, opcode.LogicOr:
		if l, err = b.coerce(l, types.TBool, false, "AND"); err != nil {
			return nil, b.errAt(err, n.L)
		}
		if r, err = b.coerce(r, types.TBool, false, "AND"); err != nil {
			return nil, b.errAt(err, n.R)
		}
		if n.Op == opcode.LogicAnd {
			return &expr.And{L: l, R: r}, nil
		}
		return &expr.Or{L: l, R: r}, nil
	case opcode.NullEQ:
		return b.distinct(l, r, true)
	}
	op, ok := binOps[n.Op]
	if !ok {
		return nil, pgerror.NotSupported("operator %s is not supported", n.Op).WithPosition(b.pos(n))
	}
	e, err := b.binop(op, l, r)
	if err != nil {
		return nil, b.errAt(err, n)
	}
	return e, nil
}

func (b *binder) unaryExpr(s *scope, n *ast.UnaryOperationExpr) (expr.Expr, error) {
	if n.Op == opcode.Minus {
		// A negative numeric literal is one constant, so -2147483648 is an
		// int4 as in PostgreSQL.
		if v, ok := n.V.(*test_driver.ValueExpr); ok {
			switch v.Kind() {
			case test_driver.KindInt64:
				i := -v.GetInt64()
				if i >= -1<<31 && i < 1<<31 {
					return &expr.Const{D: types.DInt(i), T: types.TInt4}, nil
				}
				return &expr.Const{D: types.DInt(i), T: types.TInt8}, nil
			case test_driver.KindUint64:
				return numericConst("-" + strconv.FormatUint(v.GetUint64(), 10))
			case test_driver.KindMysqlDecimal:
				return numericConst("-" + v.GetMysqlDecimal().String())
			}
		}
	}
	x, err := b.expr(s, n.V)
	if err != nil {
		return nil, err
	}
	switch n.Op {
	case opcode.Not, opcode.Not2:
		if x, err = b.coerce(x, types.TBool, false, "NOT"); err != nil {
			return nil, b.errAt(err, n.V)
		}
		return &expr.Not{E: x}, nil
	case opcode.Minus:
		return b.unop("-", x)
	case opcode.Plus:
		return b.unop("+", x)
	case opcode.BitNeg:
		return b.unop("~", x)
	}
	return nil, pgerror.NotSupported("operator %s is not supported", n.Op).WithPosition(b.pos(n))
}

// binop resolves a binary operator and casts the operands to its
// declared argument types. An unknown operand (literal or parameter)
// takes its type from the other side.
func (b *binder) binop(op string, l, r expr.Expr) (expr.Expr, error) {
	lt, rt := l.Type(), r.Type()
	if lt.ID == types.Unknown && rt.ID == types.Unknown {
		if isParam(l) || isParam(r) || true {
			lt, rt = types.TText, types.TText
		}
	}
	f, err := expr.ResolveOperator(op, lt, rt)
	if err != nil {
		return nil, err
	}
	return b.call(f, []expr.Expr{l, r})
}

func (b *binder) unop(op string, x expr.Expr) (expr.Expr, error) {
	t := x.Type()
	if t.ID == types.Unknown {
		t = types.TText
		if isParam(x) {
			// PostgreSQL infers numeric-ish types for -$1 only with help;
			// weir picks int8 like PostgreSQL's preferred integer.
			t = types.TInt8
		}
	}
	f, err := expr.ResolveUnaryOperator(op, t)
	if err != nil {
		return nil, err
	}
	return b.call(f, []expr.Expr{x})
}

// call builds a Call after casting args to f's declared types.
func (b *binder) call(f *expr.Func, args []expr.Expr) (expr.Expr, error) {
	out := make([]expr.Expr, len(args))
	for i, a := range args {
		want := f.Args[min(i, len(f.Args)-1)]
		want = expr.ImplicitCastTarget(a.Type(), want)
		c, err := b.coerce(a, want, false, f.Name)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return &expr.Call{Fn: f, Args: out}, nil
}

func isParam(e expr.Expr) bool { _, ok := e.(*expr.Param); return ok }

// distinct builds IS [NOT] DISTINCT FROM.
func (b *binder) distinct(l, r expr.Expr, not bool) (expr.Expr, error) {
	ct, err := b.commonType([]expr.Expr{l, r}, "IS DISTINCT FROM")
	if err != nil {
		return nil, err
	}
	if l, err = b.coerce(l, ct, false, "IS DISTINCT FROM"); err != nil {
		return nil, err
	}
	if r, err = b.coerce(r, ct, false, "IS DISTINCT FROM"); err != nil {
		return nil, err
	}
	eq, err := expr.ResolveOperator("=", ct, ct)
	if err != nil {
		return nil, err
	}
	return &expr.IsDistinct{L: l, R: r, Eq: eq, Not: not}, nil
}

// commonType resolves CASE/COALESCE/IN/UNION types (all unknown: text).
func (b *binder) commonType(es []expr.Expr, context string) (types.T, error) {
	ts := make([]types.T, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	t, err := expr.CommonTypeFor(context, ts)
	if err != nil {
		return types.T{}, err
	}
	if t.ID == types.Unknown {
		t = types.TText
	}
	return t, nil
}

// resolveUnknown gives an expression that is still of unknown type (a
// bare string literal or parameter in a select list) the type text.
func (b *binder) resolveUnknown(e expr.Expr) (expr.Expr, error) {
	if e.Type().ID == types.Unknown {
		return b.coerce(e, types.TText, false, "")
	}
	return e, nil
}

// coerce converts e to type to: unknown literals are parsed now (so bad
// input is a bind-time 22P02, as in PostgreSQL), unknown parameters take
// the type, other types get an implicit (or, with explicit, any) cast.
func (b *binder) coerce(e expr.Expr, to types.T, explicit bool, context string) (expr.Expr, error) {
	from := e.Type()
	if from == to || (from.ID == to.ID && (to.Mod < 0 || from.Mod == to.Mod)) {
		return e, nil
	}
	switch x := e.(type) {
	case *expr.Param:
		if from.ID == types.Unknown {
			b.params[x.Idx] = to
			return &expr.Param{Idx: x.Idx, T: to}, nil
		}
	case *expr.Const:
		if from.ID == types.Unknown {
			if x.D.Null {
				return &expr.Const{D: types.NullDatum, T: to}, nil
			}
			if castNeedsSession(to, x.D.S) {
				// The input function depends on the session (catalog,
				// TimeZone, statement time): cast at execution.
				return &expr.Cast{E: &expr.Const{D: x.D, T: types.TText}, To: to}, nil
			}
			d, err := expr.CastDatum(nil, x.D, types.TText, to, true)
			if err != nil {
				return nil, err
			}
			return &expr.Const{D: d, T: to}, nil
		}
	}
	if from.ID == types.Unknown {
		return &expr.Cast{E: e, To: to}, nil
	}
	if !expr.CanCast(from, to, explicit) {
		if explicit {
			return nil, pgerror.New(pgerror.CodeCannotCoerce, "cannot cast type %s to %s", from, to)
		}
		if context != "" && to.ID == types.Bool {
			return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s", context, from)
		}
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "cannot convert type %s to %s", from, to)
	}
	return &expr.Cast{E: e, To: to}, nil
}

func (b *binder) inExpr(s *scope, n *ast.PatternInExpr) (expr.Expr, error) {
	x, err := b.expr(s, n.Expr)
	if err != nil {
		return nil, err
	}
	if n.Sel != nil {
		sq, ok := n.Sel.(*ast.SubqueryExpr)
		if !ok {
			return nil, pgerror.NotSupported("IN form %T", n.Sel)
		}
		return b.subquery(s, sq.Query, expr.SubqueryIn, x, n.Not)
	}
	list := make([]expr.Expr, len(n.List))
	all := []expr.Expr{x}
	for i, it := range n.List {
		if list[i], err = b.expr(s, it); err != nil {
			return nil, err
		}
		all = append(all, list[i])
	}
	t, err := b.commonType(all, "IN")
	if err != nil {
		return nil, b.errAt(err, n)
	}
	if x, err = b.coerce(x, t, false, "IN"); err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = b.coerce(list[i], t, false, "IN"); err != nil {
			return nil, b.errAt(err, n.List[i])
		}
	}
	eq, err := expr.ResolveOperator("=", t, t)
	if err != nil {
		return nil, err
	}
	return &expr.InList{E: x, List: list, Eq: eq, Not: n.Not}, nil
}

func (b *binder) caseExpr(s *scope, n *ast.CaseExpr) (expr.Expr, error) {
	var subject expr.Expr
	var err error
	if n.Value != nil {
		if subject, err = b.expr(s, n.Value); err != nil {
			return nil, err
		}
	}
	var conds, results []expr.Expr
	for _, w := range n.WhenClauses {
		c, err := b.expr(s, w.Expr)
		if err != nil {
			return nil, err
		}
		if subject != nil {
			if c, err = b.binop("=", subject, c); err != nil {
				return nil, b.errAt(err, w.Expr)
			}
		} else if c, err = b.coerce(c, types.TBool, false, "CASE/WHEN"); err != nil {
			return nil, b.errAt(err, w.Expr)
		}
		r, err := b.expr(s, w.Result)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		results = append(results, r)
	}
	var els expr.Expr
	all := append([]expr.Expr(nil), results...)
	if n.ElseClause != nil {
		if els, err = b.expr(s, n.ElseClause); err != nil {
			return nil, err
		}
		all = append(all, els)
	}
	t, err := b.commonType(all, "CASE")
	if err != nil {
		return nil, b.errAt(err, n)
	}
	whens := make([]expr.When, len(conds))
	for i := range conds {
		r, err := b.coerce(results[i], t, false, "CASE")
		if err != nil {
			return nil, err
		}
		whens[i] = expr.When{Cond: conds[i], Then: r}
	}
	if els != nil {
		if els, err = b.coerce(els, t, false, "CASE"); err != nil {
			return nil, err
		}
	}
	return &expr.Case{Whens: whens, Else: els, T: t}, nil
}

// subquery binds a nested query used as a value. left is the IN operand.
func (b *binder) subquery(s *scope, q ast.ResultSetNode, kind expr.SubqueryKind, left expr.Expr, not bool) (expr.Expr, error) {
	s = b.subqueryParent(s)
	saveAgg, saveWin := b.agg, b.win
	b.agg, b.win = nil, nil
	b.corr = append(b.corr, false)
	res, err := b.query(s, q)
	corr := b.corr[len(b.corr)-1]
	b.corr = b.corr[:len(b.corr)-1]
	b.agg, b.win = saveAgg, saveWin
	if err != nil {
		return nil, err
	}
	b.nextSQ++
	sq := &expr.Subquery{ID: b.nextSQ, Kind: kind, Correlated: corr, T: types.TBool}
	plan := res.plan
	switch kind {
	case expr.SubqueryScalar, expr.SubqueryIn:
		if len(res.cols) != 1 {
			if kind == expr.SubqueryScalar {
				return nil, pgerror.New(pgerror.CodeSyntaxError, "subquery must return only one column")
			}
			return nil, pgerror.New(pgerror.CodeSyntaxError, "subquery has too many columns")
		}
		sq.T = res.cols[0].t
	}
	if kind == expr.SubqueryIn {
		t, err := b.commonType([]expr.Expr{left, &expr.ColRef{T: res.cols[0].t}}, "IN")
		if err != nil {
			return nil, err
		}
		if left, err = b.coerce(left, t, false, "IN"); err != nil {
			return nil, err
		}
		if plan, err = b.castPlan(plan, []types.T{t}); err != nil {
			return nil, err
		}
		eq, err := expr.ResolveOperator("=", t, t)
		if err != nil {
			return nil, err
		}
		sq.Left, sq.Eq, sq.Not, sq.T = left, eq, not, types.TBool
	}
	sq.Plan = planner.Optimize(plan)
	return sq, nil
}

// aggCall binds an aggregate call in an aggregate query and returns a
// reference to its output column.
func (b *binder) aggCall(s *scope, sp *aggSpec) (expr.Expr, error) {
	a := b.agg
	a.inAgg = true
	defer func() { a.inAgg = false }()
	call, err := b.aggArgs(s, sp)
	if err != nil {
		return nil, err
	}
	key := call.String()
	k := -1
	for i, x := range a.aggKeys {
		if x == key {
			k = i
		}
	}
	if k < 0 {
		k = len(a.aggs)
		a.aggs = append(a.aggs, call)
		a.aggKeys = append(a.aggKeys, key)
	}
	return &expr.ColRef{Idx: len(a.groups) + k, T: call.Fn.Ret, Name: key}, nil
}

// aggArgs binds an aggregate's arguments (over the FROM row) and resolves
// it. count(*) is the zero-argument count.
func (b *binder) aggArgs(s *scope, sp *aggSpec) (planner.AggCall, error) {
	name, n, filter := sp.name, sp.call, sp.filter
	var args []expr.Expr
	star := name == "count" && len(sp.args) == 1 && strings.Contains(strings.ReplaceAll(strings.SplitN(b.textAt(n), ")", 2)[0], " ", ""), "(*")
	if !star {
		for _, a := range sp.args {
			if containsAgg(a) {
				return planner.AggCall{}, pgerror.New(pgerror.CodeGroupingError, "aggregate function calls cannot be nested").WithPosition(b.pos(a))
			}
			e, err := b.exprRaw(s, a)
			if err != nil {
				return planner.AggCall{}, b.errAt(err, a)
			}
			args = append(args, e)
		}
	}
	if a, ok := n.(*ast.AggregateFuncExpr); ok && a.Order != nil {
		return planner.AggCall{}, pgerror.NotSupported("ORDER BY in aggregate calls is not supported").WithPosition(b.pos(n))
	}
	order, err := b.aggOrder(s, sp, args)
	if err != nil {
		return planner.AggCall{}, err
	}
	ts := make([]types.T, len(args))
	for i, e := range args {
		ts[i] = e.Type()
		if ts[i].ID == types.Unknown {
			ts[i] = types.TText
		}
	}
	fn, err := resolveAgg(name, ts, &args)
	if err != nil {
		return planner.AggCall{}, b.errAt(err, n)
	}
	for i := range args {
		want := expr.ImplicitCastTarget(args[i].Type(), fn.Args[min(i, len(fn.Args)-1)])
		if args[i], err = b.coerce(args[i], want, false, name); err != nil {
			return planner.AggCall{}, err
		}
	}
	call := planner.AggCall{Fn: fn, Args: args, Distinct: sp.distinct, OrderBy: order}
	if filter != nil {
		f, err := b.exprRaw(s, filter)
		if err != nil {
			return planner.AggCall{}, b.errAt(err, filter)
		}
		if call.Filter, err = b.coerce(f, types.TBool, false, "FILTER"); err != nil {
			return planner.AggCall{}, err
		}
	}
	return call, nil
}

// windowCall binds a window function; its value is a reference to a
// column the Window node appends (numbered from winRefBase until the
// select list is assembled).
func (b *binder) windowCall(s *scope, n *ast.WindowFuncExpr) (expr.Expr, error) {
	w := b.win
	if w == nil {
		where := "here"
		if b.clause != "" {
			where = "in " + b.clause
		}
		return nil, pgerror.New(pgerror.CodeWindowingError, "window functions are not allowed %s", where).WithPosition(b.pos(n))
	}
	b.win = nil
	defer func() { b.win = w }()
	if n.Spec.Ref.O != "" || n.Spec.Name.O != "" {
		return nil, pgerror.NotSupported("named windows are not supported").WithPosition(b.pos(n))
	}
	name := strings.ToLower(n.Name)
	f := planner.WindowFunc{Name: name, Frame: planner.DefaultFrame}
	for _, a := range n.Args {
		e, err := b.expr(s, a)
		if err != nil {
			return nil, b.errAt(err, a)
		}
		f.Args = append(f.Args, e)
	}
	switch name {
	case "row_number", "rank", "dense_rank":
		if len(f.Args) != 0 {
			return nil, pgerror.New(pgerror.CodeUndefinedFunction, "function %s does not take arguments", name).WithPosition(b.pos(n))
		}
		f.Kind = map[string]planner.WindowFuncKind{"row_number": planner.WindowRowNumber, "rank": planner.WindowRank, "dense_rank": planner.WindowDenseRank}[name]
		f.T = types.TInt8
	default:
		if name == "count" && len(n.Args) == 1 && strings.Contains(strings.ReplaceAll(strings.SplitN(b.textAt(n), ")", 2)[0], " ", ""), "(*") {
			f.Args = nil
		}
		ts := make([]types.T, len(f.Args))
		for i, e := range f.Args {
			ts[i] = e.Type()
			if ts[i].ID == types.Unknown {
				ts[i] = types.TText
			}
		}
		agg, err := resolveAgg(name, ts, &f.Args)
		if err != nil {
			return nil, b.errAt(err, n)
		}
		for i := range f.Args {
			want := expr.ImplicitCastTarget(f.Args[i].Type(), agg.Args[min(i, len(agg.Args)-1)])
			if f.Args[i], err = b.coerce(f.Args[i], want, false, name); err != nil {
				return nil, err
			}
		}
		f.Kind, f.Agg, f.T = planner.WindowAggregate, agg, agg.Ret
	}
	if n.Distinct {
		return nil, pgerror.NotSupported("DISTINCT is not implemented for window functions").WithPosition(b.pos(n))
	}
	if pb := n.Spec.PartitionBy; pb != nil {
		for _, it := range pb.Items {
			e, err := b.expr(s, it.Expr)
			if err != nil {
				return nil, b.errAt(err, it.Expr)
			}
			if e, err = b.resolveUnknown(e); err != nil {
				return nil, err
			}
			f.PartitionBy = append(f.PartitionBy, e)
		}
	}
	if ob := n.Spec.OrderBy; ob != nil {
		for _, it := range ob.Items {
			x, nf, set := unwrapNulls(it.Expr)
			e, err := b.expr(s, x)
			if err != nil {
				return nil, b.errAt(err, x)
			}
			if e, err = b.resolveUnknown(e); err != nil {
				return nil, err
			}
			if !set {
				nf = it.Desc
			}
			f.OrderBy = append(f.OrderBy, planner.SortKey{E: e, Desc: it.Desc, NullsFirst: nf})
		}
	}
	if fr := n.Spec.Frame; fr != nil {
		frame, err := b.frame(fr)
		if err != nil {
			return nil, err
		}
		f.Frame = frame
	}
	key := f.String()
	for i, k := range w.keys {
		if k == key {
			return &expr.ColRef{Idx: winRefBase + i, T: f.T, Name: key}, nil
		}
	}
	w.funcs = append(w.funcs, f)
	w.keys = append(w.keys, key)
	return &expr.ColRef{Idx: winRefBase + len(w.funcs) - 1, T: f.T, Name: key}, nil
}

func (b *binder) frame(fr *ast.FrameClause) (planner.Frame, error) {
	var f planner.Frame
	switch fr.Type {
	case ast.Rows:
		f.Rows = true
	case ast.Ranges:
	default:
		return f, pgerror.NotSupported("GROUPS frames are not supported")
	}
	bound := func(fb ast.FrameBound, start bool) (planner.FrameBound, int64, error) {
		switch fb.Type {
		case ast.CurrentRow:
			return planner.CurrentRow, 0, nil
		case ast.Preceding, ast.Following:
			if fb.UnBounded {
				if fb.Type == ast.Preceding {
					return planner.UnboundedPreceding, 0, nil
				}
				return planner.UnboundedFollowing, 0, nil
			}
			v, ok := fb.Expr.(*test_driver.ValueExpr)
			if !ok || v.Kind() != test_driver.KindInt64 || v.GetInt64() < 0 {
				return 0, 0, pgerror.NotSupported("frame offsets must be non-negative integer constants")
			}
			if fb.Type == ast.Preceding {
				return planner.OffsetPreceding, v.GetInt64(), nil
			}
			return planner.OffsetFollowing, v.GetInt64(), nil
		}
		return 0, 0, pgerror.NotSupported("frame bound")
	}
	var err error
	if f.Start, f.StartOffset, err = bound(fr.Extent.Start, true); err != nil {
		return f, err
	}
	end := fr.Extent.End
	if end.Type == 0 && !end.UnBounded && end.Expr == nil && fr.Extent.End == (ast.FrameBound{}) {
		f.End = planner.CurrentRow
	} else if f.End, f.EndOffset, err = bound(end, false); err != nil {
		return f, err
	}
	if f.Start == planner.UnboundedFollowing {
		return f, pgerror.New(pgerror.CodeWindowingError, "frame start cannot be UNBOUNDED FOLLOWING")
	}
	if f.End == planner.UnboundedPreceding {
		return f, pgerror.New(pgerror.CodeWindowingError, "frame end cannot be UNBOUNDED PRECEDING")
	}
	return f, nil
}

// constString returns the value of a string constant node.
func constString(n ast.ExprNode) (string, bool) {
	if v, ok := n.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindString {
		return v.GetString(), true
	}
	return "", false
}

// containsAgg reports whether n contains an aggregate call outside
// subqueries and window functions' own calls.
func containsAgg(n ast.Node) bool {
	v := &findVisitor{match: isAggNode}
	n.Accept(v)
	return v.found
}

// containsWindow reports whether n contains a window function call outside
// subqueries.
func containsWindow(n ast.Node) bool {
	v := &findVisitor{match: func(n ast.Node) bool { _, ok := n.(*ast.WindowFuncExpr); return ok }}
	n.Accept(v)
	return v.found
}

type findVisitor struct {
	match func(ast.Node) bool
	found bool
}

func (v *findVisitor) Enter(n ast.Node) (ast.Node, bool) {
	if v.found {
		return n, true
	}
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.SelectStmt, *ast.SetOprStmt:
		return n, true
	case *ast.WindowFuncExpr:
		// An aggregate inside OVER(...) arguments belongs to the window.
		if v.match(n) {
			v.found = true
		}
		return n, true
	}
	if v.match(n) {
		v.found = true
		return n, true
	}
	return n, false
}

func (v *findVisitor) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// resolveAgg resolves an aggregate. If the registry cannot resolve the
// zero-argument count(*), it counts a non-NULL constant instead, which
// counts the same rows.
func resolveAgg(name string, ts []types.T, args *[]expr.Expr) (*expr.AggFunc, error) {
	fn, err := expr.ResolveAgg(name, ts)
	if err != nil && name == "count" && len(ts) == 0 {
		if fn, err2 := expr.ResolveAgg(name, []types.T{types.TInt4}); err2 == nil {
			*args = []expr.Expr{&expr.Const{D: types.DInt(1), T: types.TInt4}}
			return fn, nil
		}
	}
	return fn, err
}

// castNeedsSession reports whether text input for type t depends on the
// session: regclass looks names up in the catalog, timestamptz reads the
// TimeZone, and 'now'/'today'-style inputs read the statement time.
func castNeedsSession(t types.T, text string) bool {
	switch t.ID {
	case types.RegClass, types.TimestampTZ:
		return true
	case types.Date, types.Timestamp:
		switch strings.ToLower(strings.TrimSpace(text)) {
		case "now", "today", "tomorrow", "yesterday":
			return true
		}
	}
	return false
}

// quantified binds x op ANY (subquery) and x op ALL (subquery) for
// operators other than = ANY (IN) and <> ALL (NOT IN), as a scalar
// subquery that folds the comparisons with SQL's three-valued rules:
//
//	ANY: SELECT CASE WHEN bool_or(c) THEN true WHEN bool_or(c IS NULL) THEN NULL ELSE false END
//	ALL: SELECT CASE WHEN bool_or(NOT c) THEN false WHEN bool_or(c IS NULL) THEN NULL ELSE true END
//	     FROM (SELECT x op y AS c FROM (subquery))
//
// so an empty subquery gives false for ANY and true for ALL. x is read
// from the enclosing row (an OuterRef), which makes the subquery
// correlated when x reads a column: it runs once per outer row.
func (b *binder) quantified(s *scope, q ast.ResultSetNode, op string, x expr.Expr, all bool) (expr.Expr, error) {
	if planner.HasSubquery(x) {
		return nil, pgerror.NotSupported("a subquery on the left of %s ANY/ALL (subquery) is not supported", op)
	}
	saveAgg, saveWin := b.agg, b.win
	b.agg, b.win = nil, nil
	b.corr = append(b.corr, false)
	res, err := b.query(b.subqueryParent(s), q)
	corr := b.corr[len(b.corr)-1]
	b.corr = b.corr[:len(b.corr)-1]
	b.agg, b.win = saveAgg, saveWin
	if err != nil {
		return nil, err
	}
	if len(res.cols) != 1 {
		return nil, pgerror.New(pgerror.CodeSyntaxError, "subquery has too many columns")
	}
	// x moves one query level down: its columns become outer references.
	reads := false
	inner := planner.Rewrite(x, func(e expr.Expr) expr.Expr {
		switch e := e.(type) {
		case *expr.ColRef:
			reads = true
			return &expr.OuterRef{Depth: 1, Idx: e.Idx, T: e.T, Name: e.Name}
		case *expr.OuterRef:
			reads = true
			return &expr.OuterRef{Depth: e.Depth + 1, Idx: e.Idx, T: e.T, Name: e.Name}
		}
		return e
	})
	cmp, err := b.binop(op, inner, &expr.ColRef{Idx: 0, T: res.cols[0].t, Name: res.cols[0].name})
	if err != nil {
		return nil, err
	}
	if cmp.Type().ID != types.Bool {
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "op ANY/ALL (array) requires operator to yield boolean")
	}
	boolOr, err := expr.ResolveAgg("bool_or", []types.T{types.TBool})
	if err != nil {
		return nil, err
	}
	c := &expr.ColRef{Idx: 0, T: types.TBool, Name: "c"}
	var decide expr.Expr = c
	if all {
		decide = &expr.Not{E: c}
	}
	var plan planner.Node = &planner.Project{Input: res.plan, Exprs: []expr.Expr{cmp}, Cols: []planner.Column{{Name: "c", T: types.TBool}}}
	plan = &planner.HashAgg{Input: plan,
		Aggs: []planner.AggCall{{Fn: boolOr, Args: []expr.Expr{decide}}, {Fn: boolOr, Args: []expr.Expr{&expr.IsNull{E: c}}}},
		Cols: []planner.Column{{Name: "decided", T: types.TBool}, {Name: "unknown", T: types.TBool}}}
	verdict := &expr.Const{D: types.DBool(!all), T: types.TBool}
	fold := &expr.Case{T: types.TBool,
		Whens: []expr.When{
			{Cond: &expr.ColRef{Idx: 0, T: types.TBool, Name: "decided"}, Then: verdict},
			{Cond: &expr.ColRef{Idx: 1, T: types.TBool, Name: "unknown"}, Then: &expr.Const{D: types.NullDatum, T: types.TBool}},
		},
		Else: &expr.Const{D: types.DBool(all), T: types.TBool}}
	plan = &planner.Project{Input: plan, Exprs: []expr.Expr{fold}, Cols: []planner.Column{{Name: "?column?", T: types.TBool}}}
	b.nextSQ++
	return &expr.Subquery{ID: b.nextSQ, Kind: expr.SubqueryScalar, Correlated: corr || reads, T: types.TBool, Plan: planner.Optimize(plan)}, nil
}

// containsSubquery reports whether n contains a subquery (at any depth).
func containsSubquery(n ast.Node) bool {
	v := &subqueryFinder{}
	n.Accept(v)
	return v.found
}

type subqueryFinder struct{ found bool }

func (v *subqueryFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		v.found = true
	}
	return n, v.found
}

func (v *subqueryFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// subqueryParent is the scope a subquery at this point reads enclosing
// columns from. Above an aggregation (select list, HAVING, ORDER BY of an
// aggregate query, outside aggregate arguments) the enclosing row is the
// aggregate's output: the group keys, named like the columns they are,
// followed by the other FROM columns marked ungrouped, so that reading one
// is PostgreSQL's 42803 rather than a read of the wrong row.
func (b *binder) subqueryParent(s *scope) *scope {
	a := b.agg
	if a == nil || a.inAgg {
		return s
	}
	out := &scope{parent: s.parent}
	grouped := map[int]bool{}
	for i, g := range a.groups {
		col := a.groupCols[i]
		if c, ok := g.(*expr.ColRef); ok {
			grouped[c.Idx] = true
		} else {
			col.name, col.table = "", "" // an expression key has no name
		}
		col.hidden = true
		out.cols = append(out.cols, col)
	}
	for i, c := range s.cols {
		if !grouped[i] {
			c.ungrouped = true
			out.cols = append(out.cols, c)
		}
	}
	return out
}
