package expr

import "github.com/weirdb/weir/sql/types"

// Fold returns e with constant subexpressions evaluated: calls of
// immutable functions (neither Volatile nor Stable) whose arguments are all
// constants, casts of constants that do not depend on the session (no time
// zone, no catalog), and AND/OR/NOT/IS NULL/COALESCE over constants.
// Evaluation errors are not raised here: the expression is left unfolded so
// that the error surfaces at execution, only where the row reaches it
// (`CASE WHEN false THEN 1/0 END` must not fail). e is not modified.
func Fold(e Expr) Expr {
	switch n := e.(type) {
	case *Call:
		args := make([]Expr, len(n.Args))
		allConst := true
		for i, a := range n.Args {
			args[i] = Fold(a)
			if _, ok := args[i].(*Const); !ok {
				allConst = false
			}
		}
		out := &Call{Fn: n.Fn, Args: args}
		if allConst && !n.Fn.Volatile && !n.Fn.Stable {
			return tryConst(out)
		}
		return out
	case *Cast:
		in := Fold(n.E)
		out := &Cast{E: in, To: n.To, Assign: n.Assign}
		if _, ok := in.(*Const); ok && castIsImmutable(in.Type(), n.To) {
			return tryConst(out)
		}
		return out
	case *And:
		l, r := Fold(n.L), Fold(n.R)
		if isBoolConst(l, false) || isBoolConst(r, false) {
			return &Const{D: types.DBool(false), T: types.TBool}
		}
		if isBoolConst(l, true) {
			return r
		}
		if isBoolConst(r, true) {
			return l
		}
		return &And{L: l, R: r}
	case *Or:
		l, r := Fold(n.L), Fold(n.R)
		if isBoolConst(l, true) || isBoolConst(r, true) {
			return &Const{D: types.DBool(true), T: types.TBool}
		}
		if isBoolConst(l, false) {
			return r
		}
		if isBoolConst(r, false) {
			return l
		}
		return &Or{L: l, R: r}
	case *Not:
		in := Fold(n.E)
		if c, ok := in.(*Const); ok {
			if c.D.Null {
				return c
			}
			return &Const{D: types.DBool(c.D.I == 0), T: types.TBool}
		}
		return &Not{E: in}
	case *IsNull:
		in := Fold(n.E)
		if c, ok := in.(*Const); ok {
			return &Const{D: types.DBool(c.D.Null != n.Not), T: types.TBool}
		}
		return &IsNull{E: in, Not: n.Not}
	case *IsDistinct:
		return &IsDistinct{L: Fold(n.L), R: Fold(n.R), Eq: n.Eq, Not: n.Not}
	case *Case:
		out := &Case{T: n.T}
		for _, w := range n.Whens {
			c := Fold(w.Cond)
			if isBoolConst(c, false) || isNullConst(c) {
				continue // this arm can never be taken
			}
			out.Whens = append(out.Whens, When{Cond: c, Then: Fold(w.Then)})
		}
		if n.Else != nil {
			out.Else = Fold(n.Else)
		}
		if len(out.Whens) > 0 && isBoolConst(out.Whens[0].Cond, true) {
			return out.Whens[0].Then
		}
		if len(out.Whens) == 0 {
			if out.Else == nil {
				return &Const{D: types.NullDatum, T: n.T}
			}
			return out.Else
		}
		return out
	case *Coalesce:
		var args []Expr
		for _, a := range n.Args {
			f := Fold(a)
			if isNullConst(f) {
				continue
			}
			args = append(args, f)
			if _, ok := f.(*Const); ok {
				break // later arguments are never reached
			}
		}
		switch len(args) {
		case 0:
			return &Const{D: types.NullDatum, T: n.T}
		case 1:
			if _, ok := args[0].(*Const); ok {
				return args[0]
			}
		}
		return &Coalesce{Args: args, T: n.T}
	case *InList:
		list := make([]Expr, len(n.List))
		for i, a := range n.List {
			list[i] = Fold(a)
		}
		return &InList{E: Fold(n.E), List: list, Eq: n.Eq, Not: n.Not}
	}
	return e
}

func tryConst(e Expr) Expr {
	d, err := EvalConst(&EvalCtx{}, e)
	if err != nil {
		return e
	}
	return &Const{D: d, T: e.Type()}
}

func isBoolConst(e Expr, v bool) bool {
	c, ok := e.(*Const)
	return ok && !c.D.Null && c.T.ID == types.Bool && (c.D.I != 0) == v
}

func isNullConst(e Expr) bool {
	c, ok := e.(*Const)
	return ok && c.D.Null
}

// castIsImmutable reports whether a cast's result depends only on its
// input: not on the session time zone (timestamptz and text/date
// conversions involving it, and special inputs like 'now'), nor the
// catalog (regclass).
func castIsImmutable(from, to types.T) bool {
	for _, t := range []types.T{from, to} {
		switch t.ID {
		case types.TimestampTZ, types.RegClass, types.Date, types.Timestamp:
			// date/timestamp text input accepts 'now' and 'today'.
			if t.ID == types.Date || t.ID == types.Timestamp {
				if isStringish(from.ID) {
					return false
				}
				continue
			}
			return false
		}
	}
	return true
}
