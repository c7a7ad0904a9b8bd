package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// Rule is one rewrite of a plan. Apply returns an equivalent plan (or n
// itself when nothing applies); it must not change n.
type Rule struct {
	Name  string
	Apply func(n Node) Node
}

// Rules are applied in this order by Optimize. The last one, physicalJoins,
// turns every logical Join into a HashJoin or NestedLoopJoin; the result is
// the physical plan the executor builds from.
var Rules = []Rule{
	{"fold_constants", foldConstants},
	{"push_down_filters", pushDownFilters},
	{"physical_joins", physicalJoins},
	{"fuse_window_agg", fuseWindowAgg},
}

// Optimize applies Rules to a logical plan and returns the physical plan.
// Subquery plans inside expressions are optimized by the binder when it
// builds them, so Optimize does not descend into them.
func Optimize(n Node) Node {
	for _, r := range Rules {
		n = r.Apply(n)
	}
	return n
}

// WithChildren returns a copy of n with its inputs replaced (len(ch) ==
// len(n.Children())). Expressions and other fields are shared.
func WithChildren(n Node, ch []Node) Node {
	switch n := n.(type) {
	case *Scan, *Values, *GenerateSeries:
		return n
	case *Filter:
		c := *n
		c.Input = ch[0]
		return &c
	case *Project:
		c := *n
		c.Input = ch[0]
		return &c
	case *HashAgg:
		c := *n
		c.Input = ch[0]
		return &c
	case *Sort:
		c := *n
		c.Input = ch[0]
		return &c
	case *Limit:
		c := *n
		c.Input = ch[0]
		return &c
	case *Distinct:
		c := *n
		c.Input = ch[0]
		return &c
	case *Window:
		c := *n
		c.Input = ch[0]
		return &c
	case *CheckNotNull:
		c := *n
		c.Input = ch[0]
		return &c
	case *WindowTVF:
		c := *n
		c.Input = ch[0]
		return &c
	case *WindowAgg:
		c := *n
		c.Input = ch[0]
		return &c
	case *Join:
		c := *n
		c.Left, c.Right = ch[0], ch[1]
		return &c
	case *HashJoin:
		c := *n
		c.Left, c.Right = ch[0], ch[1]
		return &c
	case *NestedLoopJoin:
		c := *n
		c.Left, c.Right = ch[0], ch[1]
		return &c
	case *SetOp:
		c := *n
		c.Left, c.Right = ch[0], ch[1]
		return &c
	}
	panic(fmt.Sprintf("planner: WithChildren of unknown node %T", n))
}

// TransformUp rewrites the plan bottom-up: inputs first, then fn on the
// node with its rewritten inputs.
func TransformUp(n Node, fn func(Node) Node) Node {
	ch := n.Children()
	if len(ch) > 0 {
		changed := false
		nch := make([]Node, len(ch))
		for i, c := range ch {
			nch[i] = TransformUp(c, fn)
			changed = changed || nch[i] != c
		}
		if changed {
			n = WithChildren(n, nch)
		}
	}
	return fn(n)
}

// foldConstants folds constant sub-expressions of filters and projections
// and drops filters that are constant TRUE.
func foldConstants(n Node) Node {
	return TransformUp(n, func(n Node) Node {
		switch n := n.(type) {
		case *Filter:
			p := foldExpr(n.Pred)
			if c, ok := p.(*expr.Const); ok && !c.D.Null && c.D.I == 1 {
				return n.Input
			}
			if p != n.Pred {
				return &Filter{Input: n.Input, Pred: p}
			}
		case *Project:
			changed := false
			es := make([]expr.Expr, len(n.Exprs))
			for i, e := range n.Exprs {
				es[i] = foldExpr(e)
				changed = changed || es[i] != e
			}
			if changed {
				return &Project{Input: n.Input, Exprs: es, Cols: n.Cols}
			}
		case *Join:
			if n.On != nil {
				if on := foldExpr(n.On); on != n.On {
					c := *n
					c.On = on
					return &c
				}
			}
		}
		return n
	})
}

// pushDownFilters moves filter conjuncts as close to the scans as they can
// go: through other filters, into inner joins (where they become join
// conditions), and from join conditions into the join's inputs when they
// read one side only and the join kind allows it. Conjuncts containing
// subqueries or unknown expression nodes stay where they are.
func pushDownFilters(n Node) Node {
	return pushDown(n)
}

func pushDown(n Node) Node {
	switch f := n.(type) {
	case *Filter:
		input := f.Input
		conj := SplitAnd(f.Pred)
		// Merge stacked filters.
		for {
			inner, ok := input.(*Filter)
			if !ok {
				break
			}
			conj = append(SplitAnd(inner.Pred), conj...)
			input = inner.Input
		}
		if j, ok := input.(*Join); ok && (j.Kind == InnerJoin || j.Kind == LeftJoin || j.Kind == RightJoin || j.Kind == SemiJoin || j.Kind == AntiJoin) {
			nl := len(j.Left.Schema())
			var stay, toLeft, toRight, toOn []expr.Expr
			for _, c := range conj {
				cols, ok := ColumnsUsed(c)
				if !ok {
					stay = append(stay, c)
					continue
				}
				left, right := sides(cols, nl)
				switch {
				case j.Kind == InnerJoin:
					switch {
					case !right:
						toLeft = append(toLeft, c)
					case !left:
						toRight = append(toRight, RemapColumns(c, func(i int) int { return i - nl }))
					default:
						toOn = append(toOn, c)
					}
				case (j.Kind == LeftJoin || j.Kind == SemiJoin || j.Kind == AntiJoin) && !right:
					toLeft = append(toLeft, c)
				case j.Kind == RightJoin && !left:
					toRight = append(toRight, RemapColumns(c, func(i int) int { return i - nl }))
				default:
					stay = append(stay, c)
				}
			}
			nj := &Join{Kind: j.Kind, Left: j.Left, Right: j.Right, On: JoinAnd(append(SplitAnd(j.On), toOn...))}
			if len(toLeft) > 0 {
				nj.Left = &Filter{Input: nj.Left, Pred: JoinAnd(toLeft)}
			}
			if len(toRight) > 0 {
				nj.Right = &Filter{Input: nj.Right, Pred: JoinAnd(toRight)}
			}
			var out Node = pushDown(nj)
			if len(stay) > 0 {
				out = &Filter{Input: out, Pred: JoinAnd(stay)}
			}
			return out
		}
		in := pushDown(input)
		return &Filter{Input: in, Pred: JoinAnd(conj)}
	case *Join:
		if n.(*Join).On == nil {
			break
		}
		nl := len(f.Left.Schema())
		var keep, toLeft, toRight []expr.Expr
		for _, c := range SplitAnd(f.On) {
			cols, ok := ColumnsUsed(c)
			if !ok || len(cols) == 0 {
				keep = append(keep, c)
				continue
			}
			left, right := sides(cols, nl)
			switch {
			case !right && (f.Kind == InnerJoin || f.Kind == RightJoin || f.Kind == SemiJoin):
				toLeft = append(toLeft, c)
			case !left && (f.Kind == InnerJoin || f.Kind == LeftJoin || f.Kind == SemiJoin || f.Kind == AntiJoin):
				toRight = append(toRight, RemapColumns(c, func(i int) int { return i - nl }))
			default:
				keep = append(keep, c)
			}
		}
		l, r := f.Left, f.Right
		if len(toLeft) > 0 {
			l = &Filter{Input: l, Pred: JoinAnd(toLeft)}
		}
		if len(toRight) > 0 {
			r = &Filter{Input: r, Pred: JoinAnd(toRight)}
		}
		return &Join{Kind: f.Kind, Left: pushDown(l), Right: pushDown(r), On: JoinAnd(keep)}
	}
	ch := n.Children()
	if len(ch) == 0 {
		return n
	}
	nch := make([]Node, len(ch))
	changed := false
	for i, c := range ch {
		nch[i] = pushDown(c)
		changed = changed || nch[i] != c
	}
	if !changed {
		return n
	}
	return WithChildren(n, nch)
}

// sides reports whether cols reads the left (index < nl) and the right
// side of a join row.
func sides(cols map[int]bool, nl int) (left, right bool) {
	for c := range cols {
		if c < nl {
			left = true
		} else {
			right = true
		}
	}
	return left, right
}

// physicalJoins replaces each Join by a HashJoin on the equality conjuncts
// of its condition that compare a left-only expression with a right-only
// one of hash-compatible types, or by a NestedLoopJoin when there are none.
func physicalJoins(n Node) Node {
	return TransformUp(n, func(n Node) Node {
		j, ok := n.(*Join)
		if !ok {
			return n
		}
		nl := len(j.Left.Schema())
		var lk, rk, rest []expr.Expr
		for _, c := range SplitAnd(j.On) {
			if l, r, ok := equiKey(c, nl); ok {
				lk = append(lk, l)
				rk = append(rk, r)
				continue
			}
			rest = append(rest, c)
		}
		if len(lk) == 0 {
			return &NestedLoopJoin{Kind: j.Kind, Left: j.Left, Right: j.Right, On: j.On}
		}
		return &HashJoin{Kind: j.Kind, Left: j.Left, Right: j.Right, LeftKeys: lk, RightKeys: rk, Residual: JoinAnd(rest)}
	})
}

// equiKey recognises `a = b` with a over the left input only and b over
// the right only (or the reverse), returning the left key and the right key
// remapped to the right input's columns.
func equiKey(c expr.Expr, nl int) (l, r expr.Expr, ok bool) {
	call, isCall := c.(*expr.Call)
	if !isCall || call.Fn.Name != "=" || len(call.Args) != 2 {
		return nil, nil, false
	}
	a, b := call.Args[0], call.Args[1]
	if !hashCompatible(a, b) {
		return nil, nil, false
	}
	ca, okA := ColumnsUsed(a)
	cb, okB := ColumnsUsed(b)
	if !okA || !okB || len(ca) == 0 || len(cb) == 0 {
		return nil, nil, false
	}
	al, ar := sides(ca, nl)
	bl, br := sides(cb, nl)
	shift := func(i int) int { return i - nl }
	switch {
	case al && !ar && br && !bl:
		return a, RemapColumns(b, shift), true
	case bl && !br && ar && !al:
		return b, RemapColumns(a, shift), true
	}
	return nil, nil, false
}

// hashCompatible reports whether values of a and b that are SQL-equal
// are guaranteed to hash and compare equal in the executor's hash table.
func hashCompatible(a, b expr.Expr) bool {
	ta, tb := a.Type(), b.Type()
	if ta.IsInteger() && tb.IsInteger() {
		return true
	}
	if ta.ID != tb.ID {
		return ta.IsString() && tb.IsString() && ta.ID != 0 && tb.ID != 0 && ta.Phys() == tb.Phys()
	}
	return true
}

// foldExpr evaluates, at plan time, calls and casts whose arguments are all
// constants and whose functions are neither volatile nor stable. A call
// that fails (1/0) is left for execution, so the error surfaces only if
// the row is actually evaluated.
func foldExpr(e expr.Expr) expr.Expr {
	return Rewrite(e, func(e expr.Expr) expr.Expr {
		switch n := e.(type) {
		case *expr.Call:
			if n.Fn.Volatile || n.Fn.Stable {
				return e
			}
			for _, a := range n.Args {
				if _, ok := a.(*expr.Const); !ok {
					return e
				}
			}
		case *expr.Cast:
			if _, ok := n.E.(*expr.Const); !ok {
				return e
			}
			// Casts that depend on the session (time zone, catalog) stay.
			if n.To.ID == types.TimestampTZ || n.E.Type().ID == types.TimestampTZ || n.To.ID == types.RegClass {
				return e
			}
		default:
			return e
		}
		d, err := expr.EvalConst(&expr.EvalCtx{}, e)
		if err != nil {
			return e
		}
		return &expr.Const{D: d, T: e.Type()}
	})
}
