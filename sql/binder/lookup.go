package binder

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/weirdb/weir/planner"
	"github.com/weirdb/weir/sql/parser"
	"github.com/weirdb/weir/sql/pgerror"
)

// procTimeRelation binds `t FOR SYSTEM_TIME AS OF PROCTIME()` (the front
// end's `t AS OF TIMESTAMP weir_proctime()`): the current rows of a table
// or materialized view, as a planner.ProcTimeScan. A continuous query may
// use it only as the right side of a lookup join (the planner checks);
// any other AS OF expression is refused, since weir keeps no history.
func (b *binder) procTimeRelation(tn *ast.TableName, alias string) (planner.Node, []scopeCol, error) {
	f, ok := tn.AsOf.TsExpr.(*ast.FuncCallExpr)
	if !ok || f.FnName.L != parser.MarkerProcTime || len(f.Args) != 0 {
		return nil, nil, pgerror.NotSupported("FOR SYSTEM_TIME AS OF is supported only with PROCTIME()").
			WithPosition(b.pos(tn))
	}
	plain := *tn
	plain.AsOf = nil
	plan, cols, err := b.relation(&plain, alias)
	if err != nil {
		return nil, nil, err
	}
	scan, ok := plan.(*planner.Scan)
	if !ok || (scan.Rel.Kind() != planner.KindTable && scan.Rel.Kind() != planner.KindMatView) {
		return nil, nil, pgerror.NotSupported("FOR SYSTEM_TIME AS OF PROCTIME() needs a table or a materialized view").
			WithPosition(b.pos(tn))
	}
	return &planner.ProcTimeScan{Rel: scan.Rel, Alias: scan.Alias}, cols, nil
}
