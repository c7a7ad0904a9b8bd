package binder

import (
	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// scopeCol is one column visible to expressions: a column of the current
// plan's output row.
type scopeCol struct {
	table  string // qualifier (alias or relation name); "" for none
	name   string
	t      types.T
	hidden bool // not expanded by * (hidden row ids, the right side of USING)
	// unqualHidden: only reachable qualified (the right copy of a USING
	// column).
	unqualHidden bool
	// merged marks one side's copy of a USING / NATURAL join column: an
	// unqualified * skips it (the merged column stands for it).
	merged bool
	// ungrouped marks a FROM column seen from a subquery of an aggregate
	// query's select list, HAVING or ORDER BY: it exists, but reading it
	// is an error (42803).
	ungrouped bool
	relOID    uint32
	attNum    int16
}

// inStar reports whether c is expanded by `*` (table "") or `table.*`.
func (c scopeCol) inStar(table string) bool {
	if c.hidden {
		return false
	}
	if table == "" {
		return !c.merged
	}
	return c.table == table
}

// scope is the name environment of one query level. parent is the
// enclosing query's scope, for correlated references.
type scope struct {
	cols   []scopeCol
	parent *scope
}

func (s *scope) hasTable(name string) bool {
	for _, c := range s.cols {
		if c.table == name {
			return true
		}
	}
	return false
}

// lookup finds a column by optional qualifier and name in this level
// only. It returns -1 when there is none.
func (s *scope) lookup(table, name string) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.name != name {
			continue
		}
		if table != "" && c.table != table {
			continue
		}
		if table == "" && c.unqualHidden {
			continue
		}
		if found >= 0 {
			ref := name
			if table != "" {
				ref = table + "." + name
			}
			return -1, pgerror.New(pgerror.CodeAmbiguousColumn, "column reference %q is ambiguous", ref)
		}
		found = i
	}
	return found, nil
}

// resolveColumn resolves a column reference through this scope and its
// parents. A column of an enclosing query becomes an OuterRef and marks
// the subqueries in between as correlated.
func (b *binder) resolveColumn(s *scope, table, name string) (expr.Expr, error) {
	depth := 0
	for cur := s; cur != nil; cur, depth = cur.parent, depth+1 {
		i, err := cur.lookup(table, name)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			continue
		}
		c := cur.cols[i]
		if c.ungrouped {
			return nil, pgerror.New(pgerror.CodeGroupingError, "subquery uses ungrouped column %q from outer query", displayName(c))
		}
		if depth == 0 {
			return &expr.ColRef{Idx: i, T: c.t, Name: displayName(c)}, nil
		}
		for k := 0; k < depth && k < len(b.corr); k++ {
			b.corr[len(b.corr)-1-k] = true
		}
		return &expr.OuterRef{Depth: depth, Idx: i, T: c.t, Name: displayName(c)}, nil
	}
	if table != "" {
		known := false
		for cur := s; cur != nil; cur = cur.parent {
			known = known || cur.hasTable(table)
		}
		if !known {
			return nil, pgerror.New(pgerror.CodeUndefinedTable, "missing FROM-clause entry for table %q", table)
		}
		return nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %s.%s does not exist", table, name)
	}
	return nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q does not exist", name)
}

func displayName(c scopeCol) string {
	if c.table != "" {
		return c.table + "." + c.name
	}
	return c.name
}

// relScope is the scope of a relation's columns under a qualifier.
func relScope(rel planner.Relation, qual string) []scopeCol {
	cols := rel.Columns()
	out := make([]scopeCol, len(cols))
	for i, c := range cols {
		out[i] = scopeCol{table: qual, name: c.Name, t: c.T, hidden: c.Hidden, relOID: rel.OID(), attNum: int16(i + 1)}
	}
	return out
}

// planCols turns scope columns into plan columns.
func planCols(cols []scopeCol) []planner.Column {
	out := make([]planner.Column, len(cols))
	for i, c := range cols {
		out[i] = planner.Column{Name: c.name, T: c.t, Hidden: c.hidden}
	}
	return out
}
