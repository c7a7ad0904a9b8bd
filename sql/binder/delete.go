package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/pgerror"
)

// delete binds DELETE FROM t [AS a] [WHERE cond]: the plan yields the
// current rows the statement deletes (see Delete).
func (b *binder) delete(st *ast.DeleteStmt) (planner.Node, *Delete, error) {
	pop, err := b.with(st.With)
	defer pop()
	if err != nil {
		return nil, nil, err
	}
	if st.IsMultiTable {
		return nil, nil, pgerror.NotSupported("DELETE ... USING and DELETE of more than one table are not supported")
	}
	if err := dmlUnsupportedClauses("DELETE", st.Order, st.Limit); err != nil {
		return nil, nil, err
	}
	rel, plan, sc, err := b.dmlTarget(st.TableRefs, "DELETE")
	if err != nil {
		return nil, nil, err
	}
	if plan, err = b.dmlWhere(plan, sc, st.Where); err != nil {
		return nil, nil, err
	}
	return plan, &Delete{Table: rel}, nil
}
