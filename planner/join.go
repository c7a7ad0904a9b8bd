package planner

import (
	"fmt"

	"github.com/weirdb/weir/sql/expr"
)

// JoinKind is the kind of a join.
type JoinKind uint8

const (
	InnerJoin JoinKind = iota
	LeftJoin
	RightJoin
	FullJoin
	// SemiJoin outputs each left row that has at least one match, once.
	SemiJoin
	// AntiJoin outputs each left row that has no match.
	AntiJoin
)

var joinKindNames = [...]string{"inner", "left", "right", "full", "semi", "anti"}

func (k JoinKind) String() string { return joinKindNames[k] }

// joinSchema is the output of a join: left then right columns, with the
// side that may be NULL-extended made nullable; semi and anti joins output
// only the left columns.
func joinSchema(kind JoinKind, l, r Node) []Column {
	lc, rc := l.Schema(), r.Schema()
	if kind == SemiJoin || kind == AntiJoin {
		return lc
	}
	out := make([]Column, 0, len(lc)+len(rc))
	for _, c := range lc {
		if kind == RightJoin || kind == FullJoin {
			c.NotNull = false
		}
		out = append(out, c)
	}
	for _, c := range rc {
		if kind == LeftJoin || kind == FullJoin {
			c.NotNull = false
		}
		out = append(out, c)
	}
	return out
}

// Join is the logical join the binder produces: On (nil for a cross join)
// reads the concatenation of the left and right rows. The rules turn it
// into a HashJoin when On has equality conjuncts between the two sides,
// and into a NestedLoopJoin otherwise.
type Join struct {
	Kind        JoinKind
	Left, Right Node
	On          expr.Expr
}

func (n *Join) Schema() []Column { return joinSchema(n.Kind, n.Left, n.Right) }
func (n *Join) Children() []Node { return []Node{n.Left, n.Right} }
func (n *Join) String() string {
	if n.On == nil {
		return fmt.Sprintf("Join %s", n.Kind)
	}
	return fmt.Sprintf("Join %s on %s", n.Kind, n.On)
}
