package binder

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// funcCall binds a function call: marker functions from the front end,
// the special forms (COALESCE, NULLIF, ||), then registry functions.
func (b *binder) funcCall(s *scope, n *ast.FuncCallExpr) (expr.Expr, error) {
	name := n.FnName.L
	if sch := n.Schema.L; sch != "" && sch != "pg_catalog" {
		return nil, pgerror.New(pgerror.CodeUndefinedFunction, "function %s.%s does not exist", sch, name).WithPosition(b.pos(n))
	}
	if isAggNode(n) {
		if b.agg != nil && b.agg.inAgg {
			return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate function calls cannot be nested").WithPosition(b.pos(n))
		}
		return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed here").WithPosition(b.pos(n))
	}
	args := n.Args
	bindArgs := func(ns []ast.ExprNode) ([]expr.Expr, error) {
		out := make([]expr.Expr, len(ns))
		for i, a := range ns {
			e, err := b.expr(s, a)
			if err != nil {
				return nil, b.errAt(err, a)
			}
			out[i] = e
		}
		return out, nil
	}
	switch name {
	case markerCast:
		if len(args) != 2 {
			break
		}
		tn, ok := constString(args[1])
		if !ok {
			break
		}
		t, err := parseTypeName(tn)
		if err != nil {
			return nil, b.errAt(err, n)
		}
		x, err := b.expr(s, args[0])
		if err != nil {
			return nil, err
		}
		e, err := b.coerce(x, t, true, "")
		if err != nil {
			return nil, b.errAt(err, n)
		}
		if _, isCast := e.(*expr.Cast); !isCast && e == x && t.Mod >= 0 {
			e = &expr.Cast{E: x, To: t}
		}
		return e, nil
	case markerInterval:
		if len(args) < 1 {
			break
		}
		txt, ok := constString(args[0])
		if !ok {
			break
		}
		if len(args) == 2 {
			if f, ok := constString(args[1]); ok {
				txt += " " + f
			}
		}
		d, err := expr.CastDatum(nil, types.DString(txt), types.TText, types.TInterval, true)
		if err != nil {
			return nil, b.errAt(err, n)
		}
		return &expr.Const{D: d, T: types.TInterval}, nil
	case markerExtract:
		if len(args) != 2 {
			break
		}
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		return b.resolveCall("extract", es, n)
	case markerOp:
		if len(args) < 2 {
			break
		}
		op, ok := constString(args[0])
		if !ok {
			break
		}
		es, err := bindArgs(args[1:])
		if err != nil {
			return nil, err
		}
		var e expr.Expr
		if len(es) == 1 {
			e, err = b.unop(op, es[0])
		} else {
			e, err = b.binop(op, es[0], es[1])
		}
		if err != nil {
			return nil, b.errAt(err, n)
		}
		return e, nil
	case markerIsDistinct, markerIsNotDistinct:
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		if len(es) != 2 {
			break
		}
		return b.distinct(es[0], es[1], name == markerIsNotDistinct)
	case markerAggFilter:
		return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed here").WithPosition(b.pos(n))
	case markerNullsFirst, markerNullsLast:
		return nil, pgerror.Syntax(b.pos(n), "NULLS FIRST/LAST is only allowed in ORDER BY")
	case markerArray:
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		for i := range es {
			if es[i], err = b.coerce(es[i], types.TText, false, "ARRAY"); err != nil {
				return nil, pgerror.NotSupported("only text arrays are supported")
			}
		}
		return b.resolveCall("weir_array", es, n)
	case markerAny, markerAll:
		if len(args) != 3 {
			break
		}
		op, ok := constString(args[0])
		if !ok {
			break
		}
		es, err := bindArgs(args[1:])
		if err != nil {
			return nil, err
		}
		return b.anyAll(op, name == markerAll, es[0], es[1], n)
	case "trim":
		if e, ok, err := b.trimCall(s, n); ok {
			return e, err
		}
	case markerSubscript:
		return b.subscript(s, n)
	case markerArraySubq:
		return b.arraySubquery(s, n)
	case markerDistinctOn:
		return nil, pgerror.Syntax(b.pos(n), "DISTINCT ON is only allowed as the select list's first item")
	case markerTVF, markerFullJoin, markerTVFColumns, markerValuesRows, markerRow:
		return nil, pgerror.Syntax(b.pos(n), "unexpected %s", name)
	case "coalesce":
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			break
		}
		t, err := b.commonType(es, "COALESCE")
		if err != nil {
			return nil, b.errAt(err, n)
		}
		for i := range es {
			if es[i], err = b.coerce(es[i], t, false, "COALESCE"); err != nil {
				return nil, b.errAt(err, args[i])
			}
		}
		return &expr.Coalesce{Args: es, T: t}, nil
	case "nullif":
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		if len(es) != 2 {
			break
		}
		eq, err := b.binop("=", es[0], es[1])
		if err != nil {
			return nil, b.errAt(err, n)
		}
		// The result has the first argument's type (after the comparison
		// has resolved it).
		first := eq.(*expr.Call).Args[0]
		if c, ok := first.(*expr.Cast); ok && es[0].Type().ID != types.Unknown {
			_ = c
			first = es[0]
		}
		return &expr.Case{Whens: []expr.When{{Cond: eq, Then: &expr.Const{D: types.NullDatum, T: first.Type()}}}, Else: first, T: first.Type()}, nil
	case "concat":
		// TiDB parses a || b as concat(a, b); tell them apart by the text.
		if !hasPrefixFold(strings.TrimSpace(b.textAt(n)), "concat") && len(args) == 2 {
			es, err := bindArgs(args)
			if err != nil {
				return nil, err
			}
			e, err := b.binop("||", es[0], es[1])
			if err != nil {
				return nil, b.errAt(err, n)
			}
			return e, nil
		}
	}
	switch name {
	case markerAtTimeZone:
		// x AT TIME ZONE zone is timezone(zone, x), as in PostgreSQL.
		es, err := bindArgs(args)
		if err != nil {
			return nil, err
		}
		if len(es) != 2 {
			return nil, pgerror.Syntax(b.pos(n), "malformed %s", name)
		}
		return b.resolveCall("timezone", []expr.Expr{es[1], es[0]}, n)
	case markerField:
		return nil, pgerror.NotSupported("field selection (x).f is not supported: weir has no composite types").WithPosition(b.pos(n))
	}
	if strings.HasPrefix(name, "weir_") && name != "weir_array" {
		return nil, pgerror.Syntax(b.pos(n), "malformed %s", name)
	}
	es, err := bindArgs(args)
	if err != nil {
		return nil, err
	}
	return b.resolveCall(name, es, n)
}

// resolveCall resolves a registry function and casts its arguments.
func (b *binder) resolveCall(name string, es []expr.Expr, n ast.Node) (expr.Expr, error) {
	ts := make([]types.T, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	f, err := expr.ResolveFunc(name, ts)
	if err != nil {
		return nil, b.errAt(err, n)
	}
	e, err := b.call(f, es)
	if err != nil {
		return nil, b.errAt(err, n)
	}
	return e, nil
}

// anyAll binds x op ANY/ALL(array) as a call of the registry's
// weir_any/weir_all over the text array, with the comparison resolved
// between x and text.
func (b *binder) anyAll(op string, all bool, x, arr expr.Expr, n ast.Node) (expr.Expr, error) {
	name := "weir_any"
	if all {
		name = "weir_all"
	}
	// An untyped literal takes the element type ('d' = ANY(stxkind),
	// '1' = ANY(int2[])); weir_any resolves the operator between x's type
	// and the element type at execution.
	if x.Type().ID == types.Unknown {
		if elem, ok := arr.Type().ArrayElem(); ok {
			if c, err := b.coerce(x, elem, false, "ANY"); err == nil {
				x = c
			}
		}
	}
	if _, err := expr.ResolveFunc(name, []types.T{types.TText, x.Type(), arr.Type()}); err != nil {
		return nil, pgerror.NotSupported("%s %s(array) is not supported", op, strings.ToUpper(name[5:])).WithPosition(b.pos(n))
	}
	return b.resolveCall(name, []expr.Expr{&expr.Const{D: types.DString(op), T: types.TText}, x, arr}, n)
}
