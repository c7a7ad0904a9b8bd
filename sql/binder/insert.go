package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
	"github.com/weirdb/weir/sql/types"
)

// insert binds INSERT INTO t [(cols)] VALUES ... | SELECT .... The plan
// yields full rows in table column order with assignment casts applied and
// NOT NULL columns checked.
func (b *binder) insert(st *ast.InsertStmt) (planner.Node, *Insert, error) {
	if st.IsReplace || st.Setlist || len(st.OnDuplicate) > 0 {
		return nil, nil, pgerror.NotSupported("this INSERT form is not supported")
	}
	ts, ok := st.Table.TableRefs.Left.(*ast.TableSource)
	if !ok || st.Table.TableRefs.Right != nil {
		return nil, nil, pgerror.NotSupported("INSERT target must be one table")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return nil, nil, pgerror.NotSupported("INSERT target must be a table")
	}
	rel, err := b.cat.Resolve(tn.Schema.O, tn.Name.O)
	if err != nil {
		return nil, nil, b.errAt(pgerror.Wrap(err, pgerror.CodeUndefinedTable), tn)
	}
	if rel.Kind() != planner.KindTable {
		return nil, nil, pgerror.New(pgerror.CodeWrongObjectType, "cannot insert into %q", rel.Name()).WithPosition(b.pos(tn))
	}
	tcols := rel.Columns()
	var target []int
	if len(st.Columns) == 0 {
		for i, c := range tcols {
			if !c.Hidden {
				target = append(target, i)
			}
		}
	} else {
		seen := map[int]bool{}
		for _, c := range st.Columns {
			idx := -1
			for i, tc := range tcols {
				if tc.Name == c.Name.O && !tc.Hidden {
					idx = i
				}
			}
			if idx < 0 {
				return nil, nil, pgerror.New(pgerror.CodeUndefinedColumn, "column %q of relation %q does not exist", c.Name.O, rel.Name()).WithPosition(b.pos(c))
			}
			if seen[idx] {
				return nil, nil, pgerror.New(pgerror.CodeDuplicateColumn, "column %q specified more than once", c.Name.O).WithPosition(b.pos(c))
			}
			seen[idx] = true
			target = append(target, idx)
		}
	}
	var src planner.Node
	if st.Select != nil {
		q, err := b.query(nil, st.Select)
		if err != nil {
			return nil, nil, err
		}
		if len(q.cols) > len(target) {
			return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "INSERT has more expressions than target columns")
		}
		if len(q.cols) < len(target) {
			if len(st.Columns) > 0 {
				return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "INSERT has more target columns than expressions")
			}
			target = target[:len(q.cols)]
		}
		exprs := make([]expr.Expr, len(q.cols))
		for i, c := range q.cols {
			tc := tcols[target[i]]
			e, err := b.assign(&expr.ColRef{Idx: i, T: c.t, Name: c.name}, tc)
			if err != nil {
				return nil, nil, err
			}
			exprs[i] = e
		}
		src = &planner.Project{Input: q.plan, Exprs: exprs, Cols: targetCols(tcols, target)}
	} else {
		empty := &scope{}
		var rows [][]expr.Expr
		// PostgreSQL checks the shape of the VALUES list before the
		// target: all rows the same length, then no more expressions
		// than columns, then (with a column list) no fewer; without a
		// column list, missing trailing columns are NULL (their default).
		for _, list := range st.Lists[1:] {
			if len(list) != len(st.Lists[0]) {
				err := pgerror.New(pgerror.CodeSyntaxError, "VALUES lists must all be the same length")
				if len(list) > 0 {
					err = err.WithPosition(b.pos(list[0]))
				}
				return nil, nil, err
			}
		}
		for _, list := range st.Lists {
			if len(list) > len(target) {
				return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "INSERT has more expressions than target columns").WithPosition(b.pos(list[len(target)]))
			}
			if len(list) < len(target) && len(st.Columns) > 0 {
				return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "INSERT has more target columns than expressions")
			}
			row := make([]expr.Expr, len(target))
			for i := range target {
				tc := tcols[target[i]]
				if i >= len(list) {
					row[i] = &expr.Const{D: types.NullDatum, T: tc.T}
					continue
				}
				e, err := b.expr(empty, list[i])
				if err != nil {
					return nil, nil, b.errAt(err, list[i])
				}
				if row[i], err = b.assign(e, tc); err != nil {
					return nil, nil, b.errAt(err, list[i])
				}
			}
			rows = append(rows, row)
		}
		src = &planner.Values{Cols: targetCols(tcols, target), Rows: rows}
	}
	// Full rows in table order: unnamed columns are NULL.
	pos := make([]int, len(tcols))
	for i := range pos {
		pos[i] = -1
	}
	for i, t := range target {
		pos[t] = i
	}
	full := make([]expr.Expr, len(tcols))
	for j, tc := range tcols {
		if pos[j] >= 0 {
			full[j] = &expr.ColRef{Idx: pos[j], T: tc.T, Name: tc.Name}
		} else {
			full[j] = &expr.Const{D: types.NullDatum, T: tc.T}
		}
	}
	var plan planner.Node = &planner.Project{Input: src, Exprs: full, Cols: tcols}
	var notNull []int
	for j, tc := range tcols {
		if tc.NotNull && !tc.Hidden {
			notNull = append(notNull, j)
		}
	}
	if len(notNull) > 0 {
		plan = &planner.CheckNotNull{Input: plan, Cols: notNull, Table: rel.Name()}
	}
	return plan, &Insert{Table: rel, Target: target, Upsert: planner.HasPrimaryKey(rel)}, nil
}

func targetCols(tcols []planner.Column, target []int) []planner.Column {
	out := make([]planner.Column, len(target))
	for i, t := range target {
		out[i] = planner.Column{Name: tcols[t].Name, T: tcols[t].T}
	}
	return out
}

// assign applies PostgreSQL's assignment cast to a column's type:
// unknown literals are parsed as the column type (22P02 / 22003 on bad
// input), other types need an assignment cast (42804 otherwise).
//
// Assignment differs from an explicit cast for length-limited types: a
// value too long for varchar(n) is an error (22001), not truncated, unless
// the excess is spaces.
func (b *binder) assign(e expr.Expr, col planner.Column) (expr.Expr, error) {
	from := e.Type()
	if from == col.T {
		return e, nil
	}
	if from.ID == types.Unknown {
		if c, ok := e.(*expr.Const); ok && !c.D.Null && !castNeedsSession(col.T, c.D.S) {
			d, err := expr.CastDatum(nil, c.D, types.TText, col.T, false)
			if err != nil {
				return nil, err
			}
			return &expr.Const{D: d, T: col.T}, nil
		}
		e, err := b.coerce(e, col.T, false, "")
		if c, ok := e.(*expr.Cast); ok {
			e = &expr.Cast{E: c.E, To: c.To, Assign: true}
		}
		return e, err
	}
	if from.ID == col.T.ID && col.T.Mod < 0 {
		return e, nil
	}
	if !expr.CanAssign(from, col.T) {
		return nil, pgerror.New(pgerror.CodeDatatypeMismatch, "column %q is of type %s but expression is of type %s", col.Name, col.T, from).
			WithHint("You will need to rewrite or cast the expression.")
	}
	return &expr.Cast{E: e, To: col.T, Assign: true}, nil
}
