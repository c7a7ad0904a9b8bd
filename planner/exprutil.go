package planner

import (
	"github.com/weirdb/weir/sql/expr"
)

// Walk calls fn on e and, while fn returns true, on its sub-expressions in
// pre-order. It does not descend into subquery plans (only into a
// Subquery's Left operand).
func Walk(e expr.Expr, fn func(expr.Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	for _, c := range children(e) {
		Walk(c, fn)
	}
}

func children(e expr.Expr) []expr.Expr {
	switch e := e.(type) {
	case *expr.Call:
		return e.Args
	case *expr.Cast:
		return []expr.Expr{e.E}
	case *expr.And:
		return []expr.Expr{e.L, e.R}
	case *expr.Or:
		return []expr.Expr{e.L, e.R}
	case *expr.Not:
		return []expr.Expr{e.E}
	case *expr.IsNull:
		return []expr.Expr{e.E}
	case *expr.IsDistinct:
		return []expr.Expr{e.L, e.R}
	case *expr.Case:
		var out []expr.Expr
		for _, w := range e.Whens {
			out = append(out, w.Cond, w.Then)
		}
		if e.Else != nil {
			out = append(out, e.Else)
		}
		return out
	case *expr.Coalesce:
		return e.Args
	case *expr.InList:
		return append([]expr.Expr{e.E}, e.List...)
	case *expr.Subquery:
		if e.Left != nil {
			return []expr.Expr{e.Left}
		}
	}
	return nil
}

// Rewrite rebuilds e bottom-up: children first, then fn on the node with
// its rewritten children. fn returns the replacement (or its argument
// unchanged). Nodes whose children did not change are not copied.
func Rewrite(e expr.Expr, fn func(expr.Expr) expr.Expr) expr.Expr {
	if e == nil {
		return nil
	}
	rw := func(x expr.Expr) expr.Expr { return Rewrite(x, fn) }
	rwList := func(xs []expr.Expr) ([]expr.Expr, bool) {
		changed := false
		out := make([]expr.Expr, len(xs))
		for i, x := range xs {
			out[i] = rw(x)
			if out[i] != x {
				changed = true
			}
		}
		return out, changed
	}
	switch n := e.(type) {
	case *expr.Call:
		if args, ch := rwList(n.Args); ch {
			e = &expr.Call{Fn: n.Fn, Args: args}
		}
	case *expr.Cast:
		if x := rw(n.E); x != n.E {
			e = &expr.Cast{E: x, To: n.To, Assign: n.Assign}
		}
	case *expr.And:
		if l, r := rw(n.L), rw(n.R); l != n.L || r != n.R {
			e = &expr.And{L: l, R: r}
		}
	case *expr.Or:
		if l, r := rw(n.L), rw(n.R); l != n.L || r != n.R {
			e = &expr.Or{L: l, R: r}
		}
	case *expr.Not:
		if x := rw(n.E); x != n.E {
			e = &expr.Not{E: x}
		}
	case *expr.IsNull:
		if x := rw(n.E); x != n.E {
			e = &expr.IsNull{E: x, Not: n.Not}
		}
	case *expr.IsDistinct:
		if l, r := rw(n.L), rw(n.R); l != n.L || r != n.R {
			e = &expr.IsDistinct{L: l, R: r, Eq: n.Eq, Not: n.Not}
		}
	case *expr.Case:
		changed := false
		ws := make([]expr.When, len(n.Whens))
		for i, w := range n.Whens {
			ws[i] = expr.When{Cond: rw(w.Cond), Then: rw(w.Then)}
			changed = changed || ws[i].Cond != w.Cond || ws[i].Then != w.Then
		}
		el := rw(n.Else)
		if changed || el != n.Else {
			e = &expr.Case{Whens: ws, Else: el, T: n.T}
		}
	case *expr.Coalesce:
		if args, ch := rwList(n.Args); ch {
			e = &expr.Coalesce{Args: args, T: n.T}
		}
	case *expr.InList:
		x := rw(n.E)
		list, ch := rwList(n.List)
		if ch || x != n.E {
			e = &expr.InList{E: x, List: list, Eq: n.Eq, Not: n.Not}
		}
	case *expr.Subquery:
		if n.Left != nil {
			if x := rw(n.Left); x != n.Left {
				c := *n
				c.Left = x
				e = &c
			}
		}
	}
	return fn(e)
}

// isKnown reports whether Walk and Rewrite understand every node of e, so
// that column remapping over e is complete.
func isKnown(e expr.Expr) bool {
	ok := true
	Walk(e, func(e expr.Expr) bool {
		switch e.(type) {
		case *expr.ColRef, *expr.OuterRef, *expr.Const, *expr.Param, *expr.Call, *expr.Cast,
			*expr.And, *expr.Or, *expr.Not, *expr.IsNull, *expr.IsDistinct, *expr.Case,
			*expr.Coalesce, *expr.InList, *expr.Subquery:
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// ColumnsUsed returns the input columns e reads. ok is false when e
// contains something a rule must not move: an expression node the planner
// does not know, or a subquery (whose plan may read the row through
// OuterRef).
func ColumnsUsed(e expr.Expr) (cols map[int]bool, ok bool) {
	if !isKnown(e) {
		return nil, false
	}
	cols = map[int]bool{}
	ok = true
	Walk(e, func(e expr.Expr) bool {
		switch e := e.(type) {
		case *expr.ColRef:
			cols[e.Idx] = true
		case *expr.Subquery:
			ok = false
		}
		return true
	})
	return cols, ok
}

// RemapColumns returns e with every ColRef index i replaced by m(i).
func RemapColumns(e expr.Expr, m func(int) int) expr.Expr {
	return Rewrite(e, func(e expr.Expr) expr.Expr {
		if c, ok := e.(*expr.ColRef); ok {
			if j := m(c.Idx); j != c.Idx {
				return &expr.ColRef{Idx: j, T: c.T, Name: c.Name}
			}
		}
		return e
	})
}

// SplitAnd returns the conjuncts of e (nil for nil).
func SplitAnd(e expr.Expr) []expr.Expr {
	if e == nil {
		return nil
	}
	if a, ok := e.(*expr.And); ok {
		return append(SplitAnd(a.L), SplitAnd(a.R)...)
	}
	return []expr.Expr{e}
}

// JoinAnd combines conjuncts with AND (nil for none).
func JoinAnd(es []expr.Expr) expr.Expr {
	var out expr.Expr
	for _, e := range es {
		if out == nil {
			out = e
		} else {
			out = &expr.And{L: out, R: e}
		}
	}
	return out
}

// HasSubquery reports whether e contains a subquery.
func HasSubquery(e expr.Expr) bool {
	found := false
	Walk(e, func(e expr.Expr) bool {
		if _, ok := e.(*expr.Subquery); ok {
			found = true
		}
		return !found
	})
	return found
}
