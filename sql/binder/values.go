package binder

import (
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/pgerror"
)

// isValuesPlaceholder reports whether a FROM clause is exactly the front
// end's weir_values placeholder relation.
func isValuesPlaceholder(from *ast.TableRefsClause) bool {
	if from == nil || from.TableRefs == nil || from.TableRefs.Right != nil {
		return false
	}
	ts, ok := from.TableRefs.Left.(*ast.TableSource)
	if !ok {
		return false
	}
	tn, ok := ts.Source.(*ast.TableName)
	return ok && tn.Schema.O == "" && tn.Name.L == markerValuesTable
}

// values binds a VALUES list, which the front end writes as
//
//	SELECT * FROM weir_values WHERE weir_values_rows(weir_row(1, 'a'), ...[, weir_tvf_columns('n', 's')])
//
// as PostgreSQL does: every row has the same length (42601), each column
// takes the common type of its values (all unknown: text), and columns are
// named column1, column2, ... unless an alias list names them. The rows
// read no FROM row, but may read enclosing queries (correlation).
func (b *binder) values(sc *scope, f *ast.FuncCallExpr) (planner.Node, *scope, error) {
	rowsAST := f.Args
	var names []string
	if n := len(rowsAST); n > 0 {
		if c, ok := rowsAST[n-1].(*ast.FuncCallExpr); ok && c.FnName.L == markerTVFColumns {
			for _, a := range c.Args {
				if s, ok := constString(a); ok {
					names = append(names, s)
				}
			}
			rowsAST = rowsAST[:n-1]
		}
	}
	if len(rowsAST) == 0 {
		return nil, nil, pgerror.Syntax(b.pos(f), "malformed VALUES")
	}
	empty := &scope{parent: sc.parent}
	var rows [][]expr.Expr
	width := -1
	for _, r := range rowsAST {
		rf, ok := r.(*ast.FuncCallExpr)
		if !ok || rf.FnName.L != markerRow {
			return nil, nil, pgerror.Syntax(b.pos(r), "malformed VALUES")
		}
		if width >= 0 && len(rf.Args) != width {
			return nil, nil, pgerror.New(pgerror.CodeSyntaxError, "VALUES lists must all be the same length").WithPosition(b.pos(r))
		}
		width = len(rf.Args)
		row := make([]expr.Expr, width)
		for i, a := range rf.Args {
			if containsAgg(a) {
				return nil, nil, pgerror.New(pgerror.CodeGroupingError, "aggregate functions are not allowed in VALUES").WithPosition(b.pos(a))
			}
			e, err := b.expr(empty, a)
			if err != nil {
				return nil, nil, b.errAt(err, a)
			}
			row[i] = e
		}
		rows = append(rows, row)
	}
	if len(names) > width {
		return nil, nil, pgerror.New(pgerror.CodeInvalidColumnReference, "VALUES has %d columns available but %d columns specified", width, len(names))
	}
	cols := make([]scopeCol, width)
	for c := 0; c < width; c++ {
		col := make([]expr.Expr, len(rows))
		for i, r := range rows {
			col[i] = r[c]
		}
		t, err := b.commonType(col, "VALUES")
		if err != nil {
			return nil, nil, b.errAt(err, f)
		}
		for i := range rows {
			if rows[i][c], err = b.coerce(rows[i][c], t, false, "VALUES"); err != nil {
				return nil, nil, b.errAt(err, rowsAST[i])
			}
		}
		name := "column" + strconv.Itoa(c+1)
		if c < len(names) {
			name = names[c]
		}
		cols[c] = scopeCol{name: name, t: t}
	}
	return &planner.Values{Cols: planCols(cols), Rows: rows}, &scope{cols: cols, parent: sc.parent}, nil
}
