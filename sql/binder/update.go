package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// Update is a bound UPDATE of a table with a primary key. Bound.Plan
// yields one row per row to change: the row as it is now (Table's
// columns, hidden ones included, in Columns order) followed by the row as
// the statement makes it (the same columns, assignments already cast to
// the column types and NOT NULL columns checked, 23502) — 2×len(Columns)
// columns. The plan reads Table's current rows, so the session runs it
// while holding the table's write lock (catalog.TableRelation.WritePK):
// the old rows it yields are then exactly the stored ones.
type Update struct {
	Table planner.Relation
	// Set lists the table columns the statement assigns, in SET order.
	Set []int
}

// Delete is a bound DELETE of a table with a primary key. Bound.Plan
// yields the current rows to delete (Table's columns in Columns order);
// like Update, the session runs it under the table's write lock.
type Delete struct {
	Table planner.Relation
}

// dmlTarget resolves the single table an UPDATE or DELETE changes and
// returns its scan with the scope of its columns. verb is "UPDATE" or
// "DELETE" for messages. Only tables with a primary key take UPDATE and
// DELETE: an append-only table's log cannot retract a row (0A000).
func (b *binder) dmlTarget(refs *ast.TableRefsClause, verb string) (planner.Relation, planner.Node, *scope, error) {
	if refs == nil || refs.TableRefs == nil {
		return nil, nil, nil, pgerror.New(pgerror.CodeSyntaxError, "syntax error: %s needs a table", verb)
	}
	ts, ok := refs.TableRefs.Left.(*ast.TableSource)
	if !ok || refs.TableRefs.Right != nil {
		return nil, nil, nil, pgerror.NotSupported("%s of more than one table is not supported", verb)
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, nil, nil, pgerror.NotSupported("%s target must be a table", verb)
	}
	if tn.AsOf != nil {
		return nil, nil, nil, pgerror.NotSupported("%s of a table FOR SYSTEM_TIME is not supported", verb)
	}
	rel, err := b.cat.Resolve(tn.Schema.O, tn.Name.O)
	if err != nil {
		return nil, nil, nil, pgerror.Wrap(err, pgerror.CodeUndefinedTable).WithPosition(b.identPos(tn.Name.O))
	}
	if err := dmlTargetKind(rel, verb); err != nil {
		return nil, nil, nil, err.WithPosition(b.identPos(tn.Name.O))
	}
	if !planner.HasPrimaryKey(rel) {
		return nil, nil, nil, pgerror.NotSupported("%s of table %q is not supported: it has no primary key", verb, rel.Name()).
			WithPosition(b.identPos(tn.Name.O)).
			WithHint("A table without a PRIMARY KEY is an append-only log. Declare a PRIMARY KEY in CREATE TABLE to UPDATE or DELETE its rows.")
	}
	sr, ok := rel.(planner.ScanRelation)
	if !ok {
		return nil, nil, nil, pgerror.NotSupported("relation %q cannot be read by a query", rel.Name())
	}
	qual := ts.AsName.O
	if qual == "" {
		qual = rel.Name()
	}
	return rel, &planner.Scan{Rel: sr, Alias: ts.AsName.O}, &scope{cols: relScope(rel, qual)}, nil
}

// dmlTargetKind refuses relations other than tables, with PostgreSQL's
// codes: 55000 for views (not automatically updatable here), 42809 for
// materialized views, sources and system relations.
func dmlTargetKind(rel planner.Relation, verb string) *pgerror.Error {
	switch rel.Kind() {
	case planner.KindTable:
		return nil
	case planner.KindView:
		word := "update"
		if verb == "DELETE" {
			word = "delete from"
		}
		return pgerror.New(pgerror.CodeObjectNotInPrerequisiteState, "cannot %s view %q", word, rel.Name()).
			WithDetail("weir views are not updatable.")
	case planner.KindMatView:
		return pgerror.New(pgerror.CodeWrongObjectType, "cannot change materialized view %q", rel.Name())
	case planner.KindSource:
		return pgerror.New(pgerror.CodeWrongObjectType, "cannot change source %q", rel.Name()).
			WithDetail("A source is read from an external system.")
	}
	return pgerror.New(pgerror.CodeWrongObjectType, "cannot change system relation %q", rel.Name())
}

// dmlWhere applies an UPDATE's or DELETE's WHERE clause.
func (b *binder) dmlWhere(plan planner.Node, sc *scope, where ast.ExprNode) (planner.Node, error) {
	if where == nil {
		return plan, nil
	}
	if containsAgg(where) {
		return nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed in WHERE").WithPosition(b.pos(where))
	}
	var pred expr.Expr
	err := b.inClause("WHERE", func() (err error) {
		pred, err = b.boolExpr(sc, where, "WHERE")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &planner.Filter{Input: plan, Pred: pred}, nil
}

// dmlUnsupportedClauses refuses the MySQL clauses PostgreSQL does not have.
func dmlUnsupportedClauses(verb string, order *ast.OrderByClause, limit *ast.Limit) error {
	if order != nil {
		return pgerror.New(pgerror.CodeSyntaxError, "syntax error at or near \"ORDER\"").WithDetail("%s has no ORDER BY in PostgreSQL.", verb)
	}
	if limit != nil {
		return pgerror.New(pgerror.CodeSyntaxError, "syntax error at or near \"LIMIT\"").WithDetail("%s has no LIMIT in PostgreSQL.", verb)
	}
	return nil
}

// update binds UPDATE t [AS a] SET col = expr [, ...] [WHERE cond].
func (b *binder) update(st *ast.UpdateStmt) (planner.Node, *Update, error) {
	pop, err := b.with(st.With)
	defer pop()
	if err != nil {
		return nil, nil, err
	}
	if st.MultipleTable {
		return nil, nil, pgerror.NotSupported("UPDATE of more than one table is not supported")
	}
	if err := dmlUnsupportedClauses("UPDATE", st.Order, st.Limit); err != nil {
		return nil, nil, err
	}
	rel, plan, sc, err := b.dmlTarget(st.TableRefs, "UPDATE")
	if err != nil {
		return nil, nil, err
	}
	if plan, err = b.dmlWhere(plan, sc, st.Where); err != nil {
		return nil, nil, err
	}
	tcols := rel.Columns()
	n := len(tcols)
	exprs := make([]expr.Expr, 2*n)
	for j, c := range tcols {
		exprs[j] = &expr.ColRef{Idx: j, T: c.T, Name: c.Name}
		exprs[n+j] = exprs[j]
	}
	var set []int
	for _, a := range st.List {
		name := a.Column.Name.O
		if q := a.Column.Table.O; q != "" && q != sc.cols[0].table {
			// PostgreSQL reads "t.col" in SET as a field of a composite
			// column "t".
			return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q of relation %q does not exist", q, rel.Name()).
				WithPosition(b.identPos(q))
		}
		idx := -1
		for i, c := range tcols {
			if c.Name == name && !c.Hidden {
				idx = i
			}
		}
		if idx < 0 {
			return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q of relation %q does not exist", name, rel.Name()).
				WithPosition(b.identPos(name))
		}
		for _, s := range set {
			if s == idx {
				return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "multiple assignments to same column %q", name).
					WithPosition(b.identPos(name))
			}
		}
		set = append(set, idx)
		if containsAgg(a.Expr) {
			return nil, nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed in UPDATE").WithPosition(b.pos(a.Expr))
		}
		var e expr.Expr
		if _, isDefault := a.Expr.(*ast.DefaultExpr); isDefault {
			// weir columns have no DEFAULT: the default is NULL.
			e = &expr.Const{D: types.NullDatum, T: tcols[idx].T}
		} else {
			if e, err = b.expr(sc, a.Expr); err != nil {
				return nil, nil, b.errAt(err, a.Expr)
			}
			if e, err = b.assign(e, tcols[idx]); err != nil {
				return nil, nil, b.errAt(err, a.Expr)
			}
		}
		exprs[n+idx] = e
	}
	cols := make([]planner.Column, 2*n)
	copy(cols, tcols)
	copy(cols[n:], tcols)
	plan = &planner.Project{Input: plan, Exprs: exprs, Cols: cols}
	var notNull []int
	for _, j := range set {
		if tcols[j].NotNull {
			notNull = append(notNull, n+j)
		}
	}
	if len(notNull) > 0 {
		plan = &planner.CheckNotNull{Input: plan, Cols: notNull, Table: rel.Name()}
	}
	return plan, &Update{Table: rel, Set: set}, nil
}
