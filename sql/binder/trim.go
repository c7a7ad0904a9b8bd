package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/sql/expr"
	"github.com/weirdb/weir/sql/types"
)

// trimCall binds SQL's TRIM([LEADING|TRAILING|BOTH] [chars] FROM x), which
// TiDB parses as trim(x, chars, direction), as btrim/ltrim/rtrim(x,
// chars) (psql's \d+ on a view sends trim(trailing ';' from ...)). ok is
// false for the plain trim(x) / trim(x, chars) forms, which the registry's
// trim handles.
func (b *binder) trimCall(s *scope, n *ast.FuncCallExpr) (e expr.Expr, ok bool, err error) {
	if len(n.Args) != 3 {
		return nil, false, nil
	}
	dir, isDir := n.Args[2].(*ast.TrimDirectionExpr)
	if !isDir {
		return nil, false, nil
	}
	name := "btrim"
	switch dir.Direction {
	case ast.TrimLeading:
		name = "ltrim"
	case ast.TrimTrailing:
		name = "rtrim"
	}
	x, err := b.expr(s, n.Args[0])
	if err != nil {
		return nil, true, err
	}
	var chars expr.Expr = &expr.Const{D: types.DString(" "), T: types.TText}
	if n.Args[1] != nil {
		if chars, err = b.expr(s, n.Args[1]); err != nil {
			return nil, true, err
		}
	}
	e, err = b.resolveCall(name, []expr.Expr{x, chars}, n)
	return e, true, err
}
