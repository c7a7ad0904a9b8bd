package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/sql/pgerror"
)

// cte is one bound common table expression visible by name.
type cte struct {
	name string
	res  *queryResult
}

// with binds a WITH clause's queries in order (each sees the ones before
// it and those of enclosing queries) and makes them visible to the rest of
// the statement; the returned pop hides them again. A CTE is expanded
// where it is referenced, like a view: every reference runs its plan,
// which gives PostgreSQL's results for the side-effect-free queries weir
// runs. WITH RECURSIVE is not supported.
func (b *binder) with(w *ast.WithClause) (pop func(), err error) {
	n := len(b.ctes)
	pop = func() { b.ctes = b.ctes[:n] }
	if w == nil {
		return pop, nil
	}
	if w.IsRecursive {
		return pop, pgerror.NotSupported("WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		name := c.Name.O
		for _, prev := range b.ctes[n:] {
			if prev.name == name {
				pop()
				return pop, pgerror.New("42712", "WITH query name %q specified more than once", name)
			}
		}
		saveAgg, saveWin := b.agg, b.win
		b.agg, b.win = nil, nil
		res, err := b.query(nil, c.Query.Query)
		b.agg, b.win = saveAgg, saveWin
		if err != nil {
			pop()
			return pop, err
		}
		if len(c.ColNameList) > len(res.cols) {
			pop()
			return pop, pgerror.New(pgerror.CodeInvalidColumnReference, "WITH query %q has %d columns available but %d columns specified", name, len(res.cols), len(c.ColNameList))
		}
		cols := append([]scopeCol(nil), res.cols...)
		for i, cn := range c.ColNameList {
			cols[i].name = cn.O
		}
		b.ctes = append(b.ctes, cte{name: name, res: &queryResult{plan: res.plan, cols: cols}})
	}
	return pop, nil
}

// lookupCTE finds the innermost visible CTE called name.
func (b *binder) lookupCTE(name string) (*queryResult, bool) {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if b.ctes[i].name == name {
			return b.ctes[i].res, true
		}
	}
	return nil, false
}
