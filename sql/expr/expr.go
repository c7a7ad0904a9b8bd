package expr

import (
	"github.com/weirdb/weir/sql/types"
)

// Expr is a bound, typed scalar expression. Nodes are immutable after
// binding. String renders the expression for EXPLAIN and planner tests.
type Expr interface {
	Type() types.T
	String() string
}

// ColRef reads column Idx of the input chunk.
type ColRef struct {
	Idx  int
	T    types.T
	Name string // for EXPLAIN only
}

// OuterRef reads column Idx of the row of an enclosing query (a correlated
// subquery); Depth 1 is the immediately enclosing query.
type OuterRef struct {
	Depth int
	Idx   int
	T     types.T
	Name  string
}

// Const is a literal.
type Const struct {
	D types.Datum
	T types.T
}

// Param is a statement parameter $n (Idx = n-1), read from EvalCtx.Params.
type Param struct {
	Idx int
	T   types.T
}

// Call applies a resolved scalar function or operator. The binder has
// already cast every argument to the overload's declared argument type.
type Call struct {
	Fn   *Func
	Args []Expr
}

// Cast converts E to To (explicit `::`/CAST or an implicit coercion).
type Cast struct {
	E  Expr
	To types.T
	// Assign marks an assignment coercion (INSERT/UPDATE target columns):
	// a value too long for varchar(n) is an error (22001) instead of being
	// truncated as an explicit cast does. Added by the expr engineer.
	Assign bool
}

// And, Or, Not implement SQL three-valued logic.
type And struct{ L, R Expr }
type Or struct{ L, R Expr }
type Not struct{ E Expr }

// IsNull is `E IS [NOT] NULL`.
type IsNull struct {
	E   Expr
	Not bool
}

// IsDistinct is `L IS [NOT] DISTINCT FROM R` (Cmp is the resolved "=").
type IsDistinct struct {
	L, R Expr
	Eq   *Func
	Not  bool
}

// When is one arm of a Case.
type When struct{ Cond, Then Expr }

// Case is a searched CASE (the binder rewrites the simple form with
// equality conditions). Else may be nil (NULL).
type Case struct {
	Whens []When
	Else  Expr
	T     types.T
}

// Coalesce returns the first non-NULL argument.
type Coalesce struct {
	Args []Expr
	T    types.T
}

// InList is `E [NOT] IN (List...)` with Eq the resolved equality.
type InList struct {
	E    Expr
	List []Expr
	Eq   *Func
	Not  bool
}

// SubqueryKind says how a subquery's rows become a value.
type SubqueryKind uint8

const (
	// SubqueryScalar yields the single value of the single row (NULL when
	// no row; an error 21000 when more than one).
	SubqueryScalar SubqueryKind = iota
	// SubqueryExists yields whether any row exists.
	SubqueryExists
	// SubqueryIn yields `Left IN (subquery)` with SQL NULL semantics.
	SubqueryIn
)

// Subquery is a nested query used as a value. Plan is the planner's plan of
// the nested query (opaque here so that expr does not import planner);
// the executor evaluates it through EvalCtx.Subquery, caching the result
// when the subquery is not Correlated.
type Subquery struct {
	ID         int
	Kind       SubqueryKind
	Plan       any
	Left       Expr // SubqueryIn only
	Eq         *Func
	Not        bool
	Correlated bool
	T          types.T
}

func (e *ColRef) Type() types.T     { return e.T }
func (e *OuterRef) Type() types.T   { return e.T }
func (e *Const) Type() types.T      { return e.T }
func (e *Param) Type() types.T      { return e.T }
func (e *Call) Type() types.T       { return e.Fn.Ret }
func (e *Cast) Type() types.T       { return e.To }
func (e *And) Type() types.T        { return types.TBool }
func (e *Or) Type() types.T         { return types.TBool }
func (e *Not) Type() types.T        { return types.TBool }
func (e *IsNull) Type() types.T     { return types.TBool }
func (e *IsDistinct) Type() types.T { return types.TBool }
func (e *Case) Type() types.T       { return e.T }
func (e *Coalesce) Type() types.T   { return e.T }
func (e *InList) Type() types.T     { return types.TBool }
func (e *Subquery) Type() types.T   { return e.T }
