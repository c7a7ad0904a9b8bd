package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
)

// ProcTimeScan is `t FOR SYSTEM_TIME AS OF PROCTIME()` in FROM: the
// current rows of a table or materialized view at processing time. The
// binder produces it; it is a leaf like Scan. In a bounded plan it reads
// the relation's current rows (exactly what Scan reads). In a continuous
// query it is legal only as the right input of an inner or left equi-join,
// which Streamify turns into a LookupJoin; the relation is then read by
// point lookups, never as a log, so it is not one of the plan's inputs.
type ProcTimeScan struct {
	Rel   ScanRelation
	Alias string
}

func (n *ProcTimeScan) Schema() []Column { return n.Rel.Columns() }
func (n *ProcTimeScan) Children() []Node { return nil }
func (n *ProcTimeScan) String() string {
	return (&Scan{Rel: n.Rel, Alias: n.Alias}).String() + " FOR SYSTEM_TIME AS OF PROCTIME()"
}

// keyedRelation is a relation with a primary key (a table declared with
// PRIMARY KEY, a materialized view with a stream key): PrimaryKey lists
// the key columns (indexes into Columns). The catalog implements it; the
// interface is structural so that any relation type declaring the method
// qualifies.
type keyedRelation interface {
	PrimaryKey() []int
}

// LookupJoin enriches each row of Input with the row of Rel whose primary
// key equals Keys (expressions over Input, one per key column of Rel, in
// key order), read at processing time: a lookup join `s JOIN t FOR
// SYSTEM_TIME AS OF PROCTIME() ON s.k = t.k`. Residual, when non-nil, is
// the rest of the join condition over the concatenated row (Input's
// columns, then Rel's) and decides whether the looked-up row matches.
// Kind is InnerJoin (rows without a match are dropped) or LeftJoin (they
// are NULL-padded). It keeps no state: later changes of Rel do not revise
// earlier output, so Input must be insert-only.
type LookupJoin struct {
	Kind     JoinKind
	Input    Node
	Rel      ScanRelation
	Alias    string
	Keys     []expr.Expr
	Residual expr.Expr
}

func (n *LookupJoin) Schema() []Column {
	return joinSchema(n.Kind, n.Input, &Scan{Rel: n.Rel, Alias: n.Alias})
}
func (n *LookupJoin) Children() []Node { return []Node{n.Input} }
func (n *LookupJoin) String() string {
	s := fmt.Sprintf("LookupJoin %s %s key=[%s]", n.Kind, (&Scan{Rel: n.Rel, Alias: n.Alias}).String()[len("Scan "):], exprList(n.Keys))
	if n.Residual != nil {
		s += " residual " + n.Residual.String()
	}
	return s + " state: none (point read of the current row per input row)"
}
