package expr

import (
	"fmt"
	"strings"

	"github.com/weirdb/weir/sql/types"
)

// String renderings are for EXPLAIN and planner tests: stable, close to
// the SQL a user would write, with casts and resolved types visible.

func (e *ColRef) String() string {
	if e.Name != "" {
		return e.Name
	}
	return fmt.Sprintf("#%d", e.Idx)
}

func (e *OuterRef) String() string {
	if e.Name != "" {
		return fmt.Sprintf("outer(%d).%s", e.Depth, e.Name)
	}
	return fmt.Sprintf("outer(%d).#%d", e.Depth, e.Idx)
}

func (e *Const) String() string {
	if e.D.Null {
		return "NULL"
	}
	s := types.FormatText(e.T, e.D, nil)
	switch {
	case e.T.IsNumeric() && e.T.ID != types.Float4 && e.T.ID != types.Float8:
		if e.D.I < 0 || strings.HasPrefix(s, "-") {
			return "(" + s + ")"
		}
		return s
	case e.T.ID == types.Bool:
		if e.D.I != 0 {
			return "true"
		}
		return "false"
	case e.T.ID == types.Text || e.T.ID == types.Unknown:
		return quoteLiteral(s)
	}
	return quoteLiteral(s) + "::" + e.T.String()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (e *Param) String() string { return fmt.Sprintf("$%d", e.Idx+1) }

func (e *Call) String() string {
	if isOperatorName(e.Fn.Name) {
		switch len(e.Args) {
		case 1:
			return fmt.Sprintf("(%s %s)", e.Fn.Name, e.Args[0])
		case 2:
			return fmt.Sprintf("(%s %s %s)", e.Args[0], e.Fn.Name, e.Args[1])
		}
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Fn.Name + "(" + strings.Join(parts, ", ") + ")"
}

func isOperatorName(name string) bool {
	if name == "" {
		return false
	}
	c := name[0]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_')
}

func (e *Cast) String() string { return fmt.Sprintf("%s::%s", e.E, e.To) }
func (e *And) String() string  { return fmt.Sprintf("(%s AND %s)", e.L, e.R) }
func (e *Or) String() string   { return fmt.Sprintf("(%s OR %s)", e.L, e.R) }
func (e *Not) String() string  { return fmt.Sprintf("(NOT %s)", e.E) }

func (e *IsNull) String() string {
	if e.Not {
		return fmt.Sprintf("(%s IS NOT NULL)", e.E)
	}
	return fmt.Sprintf("(%s IS NULL)", e.E)
}

func (e *IsDistinct) String() string {
	if e.Not {
		return fmt.Sprintf("(%s IS NOT DISTINCT FROM %s)", e.L, e.R)
	}
	return fmt.Sprintf("(%s IS DISTINCT FROM %s)", e.L, e.R)
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Then)
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Coalesce) String() string {
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return "COALESCE(" + strings.Join(parts, ", ") + ")"
}

func (e *InList) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	not := ""
	if e.Not {
		not = "NOT "
	}
	return fmt.Sprintf("(%s %sIN (%s))", e.E, not, strings.Join(parts, ", "))
}

func (e *Subquery) String() string {
	switch e.Kind {
	case SubqueryExists:
		return fmt.Sprintf("EXISTS(subquery#%d)", e.ID)
	case SubqueryIn:
		not := ""
		if e.Not {
			not = "NOT "
		}
		return fmt.Sprintf("(%s %sIN subquery#%d)", e.Left, not, e.ID)
	}
	return fmt.Sprintf("(subquery#%d)", e.ID)
}

var (
	_ Expr = (*ColRef)(nil)
	_ Expr = (*OuterRef)(nil)
	_ Expr = (*Const)(nil)
	_ Expr = (*Param)(nil)
	_ Expr = (*Call)(nil)
	_ Expr = (*Cast)(nil)
	_ Expr = (*And)(nil)
	_ Expr = (*Or)(nil)
	_ Expr = (*Not)(nil)
	_ Expr = (*IsNull)(nil)
	_ Expr = (*IsDistinct)(nil)
	_ Expr = (*Case)(nil)
	_ Expr = (*Coalesce)(nil)
	_ Expr = (*InList)(nil)
	_ Expr = (*Subquery)(nil)
)
