package expr

import (
	"fmt"

	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Evaluator evaluates a compiled expression over a whole chunk and returns
// one value per row (a vector of length c.N).
//
// The returned vector is read-only: it may alias a column of c, a constant
// or a vector cached by the evaluator. Copy it before changing it. An
// Evaluator is immutable after Compile and may be shared by goroutines, each
// with its own EvalCtx.
type Evaluator interface {
	Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error)
}

// Compile turns a bound expression into a vectorised evaluator. Errors are
// bugs in binding (an unknown node, a cast with no conversion) and carry a
// SQLSTATE.
//
// Evaluation semantics:
//   - strict functions (Func.NullCall false) yield NULL where any argument
//     is NULL; the framework computes that once per call from the argument
//     bitmaps and hands the kernel arguments whose bitmaps all show it;
//   - AND/OR/NOT use three-valued logic; the right side of AND (OR) is only
//     evaluated on rows the left side leaves undecided, so `x <> 0 AND 1/x > 1`
//     does not raise division by zero;
//   - CASE evaluates each THEN only on the rows whose condition selected
//     it and each condition only on the rows no earlier arm took; COALESCE
//     evaluates an argument only on rows still NULL;
//   - subqueries go through EvalCtx.Subquery (and SubqueryValues for IN).
func Compile(e Expr) (Evaluator, error) {
	switch e := e.(type) {
	case *ColRef:
		return &colEval{idx: e.Idx, t: e.T}, nil
	case *Const:
		return &constEval{d: e.D, t: e.T}, nil
	case *Param:
		return &paramEval{idx: e.Idx, t: e.T}, nil
	case *OuterRef:
		return &outerEval{e: e}, nil
	case *Call:
		args, err := compileAll(e.Args)
		if err != nil {
			return nil, err
		}
		if e.Fn.Eval == nil {
			return nil, pgerror.New(pgerror.CodeInternalError, "function %s has no implementation", e.Fn.Name)
		}
		return &callEval{fn: e.Fn, args: args}, nil
	case *Cast:
		in, err := Compile(e.E)
		if err != nil {
			return nil, err
		}
		k, err := castKernel(e.E.Type(), e.To, !e.Assign)
		if err != nil {
			return nil, err
		}
		return &castEval{in: in, from: e.E.Type(), to: e.To, k: k}, nil
	case *And:
		l, r, err := compile2(e.L, e.R)
		if err != nil {
			return nil, err
		}
		return &logicEval{l: l, r: r, and: true}, nil
	case *Or:
		l, r, err := compile2(e.L, e.R)
		if err != nil {
			return nil, err
		}
		return &logicEval{l: l, r: r, and: false}, nil
	case *Not:
		in, err := Compile(e.E)
		if err != nil {
			return nil, err
		}
		return &notEval{in: in}, nil
	case *IsNull:
		in, err := Compile(e.E)
		if err != nil {
			return nil, err
		}
		return &isNullEval{in: in, not: e.Not}, nil
	case *IsDistinct:
		l, r, err := compile2(e.L, e.R)
		if err != nil {
			return nil, err
		}
		if e.Eq == nil {
			return nil, pgerror.New(pgerror.CodeInternalError, "IS DISTINCT FROM without an equality operator")
		}
		return &distinctEval{l: l, r: r, eq: e.Eq, not: e.Not}, nil
	case *Case:
		ce := &caseEval{t: e.T}
		for _, w := range e.Whens {
			c, t, err := compile2(w.Cond, w.Then)
			if err != nil {
				return nil, err
			}
			ce.conds = append(ce.conds, c)
			ce.thens = append(ce.thens, t)
		}
		if e.Else != nil {
			el, err := Compile(e.Else)
			if err != nil {
				return nil, err
			}
			ce.els = el
		}
		return ce, nil
	case *Coalesce:
		args, err := compileAll(e.Args)
		if err != nil {
			return nil, err
		}
		return &coalesceEval{args: args, t: e.T}, nil
	case *InList:
		in, err := Compile(e.E)
		if err != nil {
			return nil, err
		}
		list, err := compileAll(e.List)
		if err != nil {
			return nil, err
		}
		if e.Eq == nil {
			return nil, pgerror.New(pgerror.CodeInternalError, "IN without an equality operator")
		}
		return &inListEval{e: in, list: list, eq: e.Eq, not: e.Not}, nil
	case *Subquery:
		se := &subqueryEval{sq: e}
		if e.Left != nil {
			l, err := Compile(e.Left)
			if err != nil {
				return nil, err
			}
			se.left = l
		}
		return se, nil
	}
	return nil, pgerror.New(pgerror.CodeInternalError, "cannot compile expression %T", e)
}

func compileAll(es []Expr) ([]Evaluator, error) {
	out := make([]Evaluator, len(es))
	for i, e := range es {
		ev, err := Compile(e)
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

func compile2(a, b Expr) (Evaluator, Evaluator, error) {
	ea, err := Compile(a)
	if err != nil {
		return nil, nil, err
	}
	eb, err := Compile(b)
	if err != nil {
		return nil, nil, err
	}
	return ea, eb, nil
}

// EvalConst evaluates e once, for a single row with no input columns: LIMIT
// and OFFSET, INSERT ... VALUES, defaults. e must not reference columns.
func EvalConst(ctx *EvalCtx, e Expr) (types.Datum, error) {
	if c, ok := e.(*Const); ok {
		return c.D, nil
	}
	ev, err := Compile(e)
	if err != nil {
		return types.Datum{}, err
	}
	if ctx == nil {
		ctx = &EvalCtx{}
	}
	v, err := ev.Eval(ctx, &types.Chunk{N: 1})
	if err != nil {
		return types.Datum{}, err
	}
	return v.Datum(0), nil
}

// Filter evaluates a boolean predicate over c and returns the indexes of
// the rows where it is TRUE (NULL and FALSE rows are dropped), in order.
func Filter(ctx *EvalCtx, pred Evaluator, c *types.Chunk) ([]int, error) {
	v, err := pred.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	sel := make([]int, 0, c.N)
	hasNulls := v.Nulls.Any()
	for i := 0; i < c.N; i++ {
		if v.I[i] != 0 && !(hasNulls && v.Nulls.Get(i)) {
			sel = append(sel, i)
		}
	}
	return sel, nil
}

type colEval struct {
	idx int
	t   types.T
}

func (e *colEval) Eval(_ *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	if e.idx >= len(c.Cols) {
		return nil, pgerror.New(pgerror.CodeInternalError, "column #%d out of range (chunk has %d)", e.idx, len(c.Cols))
	}
	return c.Cols[e.idx], nil
}

type constEval struct {
	d types.Datum
	t types.T
}

func (e *constEval) Eval(_ *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	return types.ConstVec(e.t, e.d, c.N), nil
}

type paramEval struct {
	idx int
	t   types.T
}

func (e *paramEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	if ctx == nil || e.idx >= len(ctx.Params) {
		return nil, pgerror.New(pgerror.CodeUndefinedParameter, "there is no parameter $%d", e.idx+1)
	}
	return types.ConstVec(e.t, ctx.Params[e.idx], c.N), nil
}

type outerEval struct{ e *OuterRef }

func (e *outerEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	k := len(ctx.Outer) - e.e.Depth
	if k < 0 || k >= len(ctx.Outer) || e.e.Idx >= len(ctx.Outer[k]) {
		return nil, pgerror.New(pgerror.CodeInternalError, "outer reference %s has no row", e.e)
	}
	return types.ConstVec(e.e.T, ctx.Outer[k][e.e.Idx], c.N), nil
}

type callEval struct {
	fn   *Func
	args []Evaluator
}

func (e *callEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	args := make([]*types.Vec, len(e.args))
	for i, a := range e.args {
		v, err := a.Eval(ctx, c)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return callFunc(ctx, e.fn, args, c.N)
}

// callFunc applies fn to evaluated arguments with the framework's NULL
// handling for strict functions.
func callFunc(ctx *EvalCtx, fn *Func, args []*types.Vec, n int) (*types.Vec, error) {
	if fn.NullCall {
		return fn.Eval(ctx, args, n)
	}
	var nulls types.Bitmap
	for _, a := range args {
		if a.Nulls.Any() {
			nulls = orNulls(nulls, a.Nulls)
		}
	}
	if nulls == nil {
		return fn.Eval(ctx, args, n)
	}
	shared := make([]*types.Vec, len(args))
	for i, a := range args {
		shared[i] = withNulls(a, nulls)
	}
	res, err := fn.Eval(ctx, shared, n)
	if err != nil {
		return nil, err
	}
	return withNulls(res, orNulls(res.Nulls, nulls)), nil
}

type castEval struct {
	in       Evaluator
	from, to types.T
	k        castFunc
}

func (e *castEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	v, err := e.in.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	return e.k(ctx, v, e.to, c.N)
}

// logicEval is AND (and=true) or OR with three-valued logic and lazy
// evaluation of the right side.
type logicEval struct {
	l, r Evaluator
	and  bool
}

func (e *logicEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	lv, err := e.l.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	// decisive: AND is decided by FALSE, OR by TRUE.
	decisive := int64(0)
	if !e.and {
		decisive = 1
	}
	var undecided []int
	for i := 0; i < c.N; i++ {
		if lv.Nulls.Get(i) || lv.I[i] != decisive {
			undecided = append(undecided, i)
		}
	}
	out := newOut(types.TBool, c.N)
	for i := 0; i < c.N; i++ {
		out.I[i] = decisive
	}
	if len(undecided) == 0 {
		return out, nil
	}
	var rv *types.Vec
	if len(undecided) == c.N {
		rv, err = e.r.Eval(ctx, c)
	} else {
		rv, err = e.r.Eval(ctx, c.Gather(undecided))
	}
	if err != nil {
		return nil, err
	}
	for j, i := range undecided {
		lNull := lv.Nulls.Get(i)
		rNull := rv.Nulls.Get(j)
		switch {
		case !rNull && rv.I[j] == decisive:
			out.I[i] = decisive
		case lNull || rNull:
			out.Nulls.Set(i)
		default:
			out.I[i] = 1 - decisive
		}
	}
	return out, nil
}

type notEval struct{ in Evaluator }

func (e *notEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	v, err := e.in.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	out := newOut(types.TBool, c.N)
	out.Nulls = cloneBits(v.Nulls)
	for i := 0; i < c.N; i++ {
		out.I[i] = 1 - v.I[i]&1
	}
	return out, nil
}

type isNullEval struct {
	in  Evaluator
	not bool
}

func (e *isNullEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	v, err := e.in.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	out := newOut(types.TBool, c.N)
	for i := 0; i < c.N; i++ {
		if v.Nulls.Get(i) != e.not {
			out.I[i] = 1
		}
	}
	return out, nil
}

type distinctEval struct {
	l, r Evaluator
	eq   *Func
	not  bool
}

func (e *distinctEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	lv, err := e.l.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	rv, err := e.r.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	eq, err := callFunc(ctx, e.eq, []*types.Vec{lv, rv}, c.N)
	if err != nil {
		return nil, err
	}
	out := newOut(types.TBool, c.N)
	for i := 0; i < c.N; i++ {
		ln, rn := lv.Nulls.Get(i), rv.Nulls.Get(i)
		var distinct bool
		switch {
		case ln && rn:
			distinct = false
		case ln || rn:
			distinct = true
		default:
			distinct = eq.I[i] == 0
		}
		if distinct != e.not {
			out.I[i] = 1
		}
	}
	return out, nil
}

type caseEval struct {
	conds, thens []Evaluator
	els          Evaluator
	t            types.T
}

func (e *caseEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	out := nullOut(e.t, c.N)
	// remaining lists the rows (of c) no arm has taken yet; sub is c
	// restricted to them.
	remaining := make([]int, c.N)
	for i := range remaining {
		remaining[i] = i
	}
	sub := c
	for k, cond := range e.conds {
		if len(remaining) == 0 {
			return out, nil
		}
		cv, err := cond.Eval(ctx, sub)
		if err != nil {
			return nil, err
		}
		var took, rest []int // indexes into sub
		for j := range remaining {
			if !cv.Nulls.Get(j) && cv.I[j] != 0 {
				took = append(took, j)
			} else {
				rest = append(rest, j)
			}
		}
		if len(took) > 0 {
			thenIn := sub
			if len(took) != sub.N {
				thenIn = sub.Gather(took)
			}
			tv, err := e.thens[k].Eval(ctx, thenIn)
			if err != nil {
				return nil, err
			}
			for x, j := range took {
				setRow(out, remaining[j], tv, x)
			}
		}
		if len(rest) != len(remaining) {
			next := make([]int, len(rest))
			for x, j := range rest {
				next[x] = remaining[j]
			}
			remaining = next
			sub = sub.Gather(rest)
		}
	}
	if e.els != nil && len(remaining) > 0 {
		ev, err := e.els.Eval(ctx, sub)
		if err != nil {
			return nil, err
		}
		for x, i := range remaining {
			setRow(out, i, ev, x)
		}
	}
	return out, nil
}

type coalesceEval struct {
	args []Evaluator
	t    types.T
}

func (e *coalesceEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	out := nullOut(e.t, c.N)
	remaining := make([]int, c.N)
	for i := range remaining {
		remaining[i] = i
	}
	sub := c
	for _, a := range e.args {
		if len(remaining) == 0 {
			break
		}
		v, err := a.Eval(ctx, sub)
		if err != nil {
			return nil, err
		}
		var rest []int
		for j, i := range remaining {
			if v.Nulls.Get(j) {
				rest = append(rest, j)
				continue
			}
			setRow(out, i, v, j)
		}
		if len(rest) != len(remaining) {
			next := make([]int, len(rest))
			for x, j := range rest {
				next[x] = remaining[j]
			}
			remaining = next
			sub = sub.Gather(rest)
		}
	}
	return out, nil
}

type inListEval struct {
	e    Evaluator
	list []Evaluator
	eq   *Func
	not  bool
}

// Eval implements `x IN (a, b, ...)` as `x = a OR x = b OR ...` with SQL
// NULL semantics: TRUE if any comparison is TRUE, else NULL if any is NULL,
// else FALSE; NOT IN negates that.
func (e *inListEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	x, err := e.e.Eval(ctx, c)
	if err != nil {
		return nil, err
	}
	found := make([]bool, c.N)
	sawNull := make([]bool, c.N)
	for _, item := range e.list {
		v, err := item.Eval(ctx, c)
		if err != nil {
			return nil, err
		}
		eq, err := callFunc(ctx, e.eq, []*types.Vec{x, v}, c.N)
		if err != nil {
			return nil, err
		}
		for i := 0; i < c.N; i++ {
			if eq.Nulls.Get(i) {
				sawNull[i] = true
			} else if eq.I[i] != 0 {
				found[i] = true
			}
		}
	}
	return inResult(found, sawNull, e.not), nil
}

func inResult(found, sawNull []bool, not bool) *types.Vec {
	out := newOut(types.TBool, len(found))
	for i := range found {
		switch {
		case found[i]:
			if !not {
				out.I[i] = 1
			}
		case sawNull[i]:
			out.Nulls.Set(i)
		default:
			if not {
				out.I[i] = 1
			}
		}
	}
	return out
}

type subqueryEval struct {
	sq   *Subquery
	left Evaluator
}

// Eval runs the subquery through the executor's callbacks. An uncorrelated
// subquery is asked for once per chunk (the executor caches its result); a
// correlated one once per row, with the row pushed on ctx.Outer.
func (e *subqueryEval) Eval(ctx *EvalCtx, c *types.Chunk) (*types.Vec, error) {
	if ctx == nil || ctx.Subquery == nil && ctx.SubqueryValues == nil {
		return nil, pgerror.New(pgerror.CodeInternalError, "subquery evaluation is not available here")
	}
	var left *types.Vec
	if e.left != nil {
		var err error
		if left, err = e.left.Eval(ctx, c); err != nil {
			return nil, err
		}
	}
	out := newOut(e.Type(), c.N)
	if !e.sq.Correlated {
		return e.evalRows(ctx, out, left, nil, c.N)
	}
	for i := 0; i < c.N; i++ {
		ctx.Outer = append(ctx.Outer, c.Row(i))
		_, err := e.evalRows(ctx, out, left, []int{i}, c.N)
		ctx.Outer = ctx.Outer[:len(ctx.Outer)-1]
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (e *subqueryEval) Type() types.T {
	if e.sq.Kind == SubqueryScalar {
		return e.sq.T
	}
	return types.TBool
}

// evalRows fills rows (all rows when nil) of out for the current outer
// context.
func (e *subqueryEval) evalRows(ctx *EvalCtx, out, left *types.Vec, rows []int, n int) (*types.Vec, error) {
	if rows == nil {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	if e.sq.Kind != SubqueryIn {
		if ctx.Subquery == nil {
			return nil, pgerror.New(pgerror.CodeInternalError, "subquery evaluation is not available here")
		}
		d, err := ctx.Subquery(ctx, e.sq)
		if err != nil {
			return nil, err
		}
		for _, i := range rows {
			setDatum(out, i, d)
		}
		return out, nil
	}
	if ctx.SubqueryValues == nil {
		return nil, pgerror.New(pgerror.CodeInternalError, "IN (subquery) evaluation is not available here")
	}
	vals, err := ctx.SubqueryValues(ctx, e.sq)
	if err != nil {
		return nil, err
	}
	if e.sq.Eq == nil {
		return nil, pgerror.New(pgerror.CodeInternalError, "IN (subquery) without an equality operator")
	}
	found := make([]bool, len(rows))
	sawNull := make([]bool, len(rows))
	lsub := left.Gather(rows)
	m := vals.Len()
	for k := 0; k < m; k++ {
		item := types.ConstVec(vals.T, vals.Datum(k), len(rows))
		eq, err := callFunc(ctx, e.sq.Eq, []*types.Vec{lsub, item}, len(rows))
		if err != nil {
			return nil, err
		}
		for j := range rows {
			if eq.Nulls.Get(j) {
				sawNull[j] = true
			} else if eq.I[j] != 0 {
				found[j] = true
			}
		}
	}
	res := inResult(found, sawNull, e.sq.Not)
	for j, i := range rows {
		setRow(out, i, res, j)
	}
	return out, nil
}

// String helps debugging evaluators.
func (e *callEval) String() string { return fmt.Sprintf("call(%s)", e.fn.Name) }
