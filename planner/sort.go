package planner

import (
	"strings"

	"github.com/weirdb/weir/sql/expr"
)

// SortKey is one ORDER BY term. NullsFirst is explicit here: the binder
// applies PostgreSQL's default (NULLS LAST for ASC, NULLS FIRST for DESC).
type SortKey struct {
	E          expr.Expr
	Desc       bool
	NullsFirst bool
}

func (k SortKey) String() string {
	s := k.E.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst != k.Desc {
		if k.NullsFirst {
			s += " NULLS FIRST"
		} else {
			s += " NULLS LAST"
		}
	}
	return s
}

func sortKeys(ks []SortKey) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return strings.Join(s, ", ")
}

// Sort orders its input by Keys; the sort is stable, so rows equal on
// every key keep their input order.
type Sort struct {
	Input Node
	Keys  []SortKey
}

func (n *Sort) Schema() []Column { return n.Input.Schema() }
func (n *Sort) Children() []Node { return []Node{n.Input} }
func (n *Sort) String() string   { return "Sort " + sortKeys(n.Keys) }
